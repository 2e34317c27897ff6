//! Macros for wire enums: a newtype over the number, so unknown values round-trip,
//! with named constants, names, Display, Serialize and a [`Codec`](super::Codec).

/// The newtype, its codec, Display (`name(code)`) and Serialize (`{code, name}`).
/// The type must provide `fn name(self) -> Option<&'static str>`.
macro_rules! wire_newtype {
    ($(#[$meta:meta])* $ty:ident($repr:ty) as $what:literal, code $codefmt:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub $repr);

        impl $ty {
            /// The name, or `GREASE` / `unknown` for values without one.
            // `u16::from` widens the 8-bit registries and is the identity for 16-bit ones.
            #[allow(clippy::useless_conversion)]
            fn label(self) -> &'static str {
                match self.name() {
                    Some(name) => name,
                    None if $crate::wire::codec::is_grease(u16::from(self.0)) => "GREASE",
                    None => "unknown",
                }
            }
        }

        impl ::std::fmt::Display for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                write!(f, concat!("{}(", $codefmt, ")"), self.label(), self.0)
            }
        }

        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(self, f)
            }
        }

        impl ::serde::Serialize for $ty {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use ::serde::ser::SerializeStruct;
                let mut st = s.serialize_struct(stringify!($ty), 2)?;
                st.serialize_field("code", &self.0)?;
                st.serialize_field("name", self.label())?;
                st.end()
            }
        }

        impl $crate::wire::Codec for $ty {
            const WHAT: &'static str = $what;

            fn encode(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.0.to_be_bytes());
            }

            fn read(r: &mut $crate::wire::Reader<'_>) -> Result<Self, $crate::wire::DecodeError> {
                Ok(Self(<$repr>::from_be_bytes(r.take_array(Self::WHAT)?)))
            }
        }
    };
}

/// [`wire_newtype!`] plus a registry: one constant per `CONST = value => "name"` line,
/// `KNOWN`, `name()` and `from_name()`. Duplicate values or names fail to compile
/// cleanly (unreachable pattern).
macro_rules! wire_enum {
    (
        $(#[$meta:meta])* $ty:ident($repr:ty) as $what:literal, code $codefmt:literal;
        $($konst:ident = $val:literal => $name:literal,)+
    ) => {
        wire_newtype!($(#[$meta])* $ty($repr) as $what, code $codefmt);

        impl $ty {
            $(
                #[doc = concat!("`", $name, "` (", stringify!($val), ")")]
                pub const $konst: Self = Self($val);
            )+

            /// Every value with a registered name, in registry order.
            pub const KNOWN: &'static [Self] = &[$(Self::$konst),+];

            /// The registered name, or `None` for values this crate does not know.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $($val => Some($name),)+
                    _ => None,
                }
            }

            /// The value registered under exactly `name`.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($name => Some(Self::$konst),)+
                    _ => None,
                }
            }
        }
    };
}

/// `is_grease()` for the 16-bit registries RFC 8701 reserves values in.
macro_rules! impl_grease {
    ($($ty:ident),+) => {$(
        impl $ty {
            /// True for RFC 8701 GREASE values (`0x0a0a`, `0x1a1a`, … `0xfafa`).
            pub const fn is_grease(self) -> bool {
                $crate::wire::codec::is_grease(self.0)
            }
        }
    )+};
}

/// Shared tests for a registry type: every known value round-trips through its
/// name and its codec, and unknown values display as `unknown(..)`.
#[cfg(test)]
pub(crate) fn check_registry<T>(
    known: &[T],
    name: fn(T) -> Option<&'static str>,
    from_name: fn(&str) -> Option<T>,
) where
    T: super::Codec + Copy + PartialEq + std::fmt::Debug + std::fmt::Display,
{
    assert!(!known.is_empty());
    for &v in known {
        let n = name(v).expect("known values have names");
        assert_eq!(from_name(n), Some(v), "{n}");
        assert!(v.to_string().starts_with(&format!("{n}(")), "{v}");
        super::codec::check_codec(&v);
    }
    assert_eq!(from_name("no_such_name"), None);
}
