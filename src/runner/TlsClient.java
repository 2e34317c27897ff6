// One HTTPS request with JSSE (javax.net.ssl): the `java` profile of `quirktls run`
// (embedded in the binary) and the Java client of tests/java_client.rs.
//
// Usage: java TlsClient HOST PORT SERVERNAME TRUSTSTORE.p12 PASSWORD [CLIENT.p12 PASSWORD]
//
// Trusts exactly the PKCS#12 truststore, optionally presents the identity in CLIENT.p12,
// sends SNI SERVERNAME (unless it is "none") with HTTPS endpoint identification, sends
// `GET /java HTTP/1.1` and prints `key: value` lines, then the response after a blank line.
//
// Exit codes:
//   0  handshake and request completed
//   2  usage error or unreadable keystore
//   3  javax.net.ssl.SSLHandshakeException
//   4  another javax.net.ssl.SSLException
//   5  another IOException (reset, EOF, refused, timeout)

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.util.List;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

public final class TlsClient {
    private static final int TIMEOUT_MS = 10_000;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    private static void say(String key, Object value) {
        System.out.println(key + ": " + value);
        System.out.flush();
    }

    private static KeyStore load(String path, char[] password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(path)) {
            ks.load(in, password);
        }
        return ks;
    }

    private static int run(String[] args) {
        if (args.length != 5 && args.length != 7) {
            System.err.println(
                "usage: TlsClient HOST PORT SERVERNAME TRUSTSTORE.p12 PASSWORD [CLIENT.p12 PASSWORD]");
            return 2;
        }
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        String serverName = args[2].equals("none") ? null : args[2];
        SSLContext ctx;
        try {
            KeyStore trust = load(args[3], args[4].toCharArray());
            TrustManagerFactory tmf =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            say("trusted_entries", trust.size());
            KeyManager[] kms = null;
            if (args.length == 7) {
                char[] pw = args[6].toCharArray();
                KeyStore id = load(args[5], pw);
                KeyManagerFactory kmf =
                    KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(id, pw);
                kms = kmf.getKeyManagers();
                say("key_manager", kmf.getAlgorithm());
            }
            ctx = SSLContext.getInstance("TLS");
            ctx.init(kms, tmf.getTrustManagers(), new SecureRandom());
        } catch (Exception e) {
            say("error", "setup " + e);
            return 2;
        }
        String phase = "connect";
        try (Socket raw = new Socket()) {
            raw.connect(new InetSocketAddress(host, port), TIMEOUT_MS);
            raw.setSoTimeout(TIMEOUT_MS);
            String peer = serverName != null ? serverName : host;
            try (SSLSocket tls =
                     (SSLSocket) ctx.getSocketFactory().createSocket(raw, peer, port, true)) {
                SSLParameters params = tls.getSSLParameters();
                if (serverName != null) {
                    params.setServerNames(List.of(new SNIHostName(serverName)));
                } else {
                    params.setServerNames(List.of());
                }
                params.setEndpointIdentificationAlgorithm("HTTPS");
                tls.setSSLParameters(params);
                phase = "handshake";
                tls.startHandshake();
                SSLSession session = tls.getSession();
                say("version", session.getProtocol());
                say("cipher", session.getCipherSuite());
                java.security.cert.Certificate[] local = session.getLocalCertificates();
                say("client_cert_sent", local != null && local.length > 0);
                phase = "request";
                OutputStream out = tls.getOutputStream();
                String request = "GET /java HTTP/1.1\r\nHost: " + peer + ":" + port
                    + "\r\nUser-Agent: quirktls-java-client\r\nConnection: close\r\n\r\n";
                out.write(request.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                phase = "response";
                InputStream in = tls.getInputStream();
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                byte[] buf = new byte[16384];
                for (int n; (n = in.read(buf)) != -1; ) {
                    body.write(buf, 0, n);
                }
                say("result", "ok");
                System.out.println();
                System.out.print(body.toString(StandardCharsets.UTF_8));
                System.out.flush();
                return 0;
            }
        } catch (SSLHandshakeException e) {
            report(phase, e);
            return 3;
        } catch (SSLException e) {
            report(phase, e);
            return 4;
        } catch (IOException e) {
            report(phase, e);
            return 5;
        }
    }

    private static void report(String phase, Exception e) {
        say("phase", phase);
        say("error", e.getClass().getName());
        say("message", e.getMessage());
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            say("cause", root.getClass().getName() + ": " + root.getMessage());
        }
    }
}
