//! STUB (helper C replaces): JA3 / JA4.
