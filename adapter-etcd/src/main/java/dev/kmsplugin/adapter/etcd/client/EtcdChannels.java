package dev.kmsplugin.adapter.etcd.client;

import dev.kmsplugin.domain.failure.KmsException;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * gRPC channels to etcd endpoints: plaintext for http://, TLS for https:// with the CA and client certificate from
 * {@link EtcdSettings}, held in in-memory key stores. Only io.grpc API types and the JDK's key managers; the
 * transport underneath is grpc-netty-shaded.
 */
public final class EtcdChannels {

    /**
     * The largest response the client accepts. etcd's default {@code --max-request-bytes} lets one value be up to
     * about 1.5 MiB, so a page of 100 values can exceed grpc-java's default of 4 MiB; the scan halves its page
     * size when a page still does not fit.
     */
    public static final int MAX_INBOUND_BYTES = 16 << 20;

    private EtcdChannels() {
    }

    /** The credentials for {@code settings}' TLS files; reads and checks the files now. */
    public static ChannelCredentials tls(EtcdSettings settings) {
        TlsChannelCredentials.Builder builder = TlsChannelCredentials.newBuilder();
        try {
            if (settings.caCert().isPresent()) {
                Path path = settings.caCert().get();
                KeyStore trusted = emptyStore();
                int index = 0;
                for (X509Certificate certificate : PemFiles.certificates(EtcdSettings.CA_FLAG, path)) {
                    trusted.setCertificateEntry("ca-" + index++, certificate);
                }
                TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                trust.init(trusted);
                builder.trustManager(trust.getTrustManagers());
            }
            if (settings.cert().isPresent() && settings.key().isPresent()) {
                Path certPath = settings.cert().get();
                Path keyPath = settings.key().get();
                List<X509Certificate> chain = PemFiles.certificates(EtcdSettings.CERT_FLAG, certPath);
                PrivateKey key = PemFiles.privateKey(EtcdSettings.KEY_FLAG, keyPath);
                PemFiles.checkPair(key, chain.get(0), certPath, keyPath);
                // The store never leaves memory; its password only satisfies the KeyStore API.
                char[] password = randomPassword();
                try {
                    KeyStore identity = emptyStore();
                    identity.setKeyEntry("client", key, password, chain.toArray(X509Certificate[]::new));
                    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                    keys.init(identity, password);
                    builder.keyManager(keys.getKeyManagers());
                } finally {
                    Arrays.fill(password, '\0');
                }
            }
        } catch (GeneralSecurityException | IOException e) {
            throw new KmsException.Misconfigured("cannot set up TLS for etcd from " + EtcdSettings.CA_FLAG + ", "
                    + EtcdSettings.CERT_FLAG + " and " + EtcdSettings.KEY_FLAG + ": " + e.getClass().getSimpleName());
        }
        return builder.build();
    }

    /** A channel to {@code endpoint}; {@code tls} is used for https:// endpoints. */
    public static ManagedChannel open(URI endpoint, ChannelCredentials tls, int maxInboundBytes) {
        boolean secure = "https".equalsIgnoreCase(endpoint.getScheme());
        return Grpc.newChannelBuilder(endpoint.getHost() + ":" + endpoint.getPort(),
                        secure ? tls : InsecureChannelCredentials.create())
                .maxInboundMessageSize(maxInboundBytes)
                .build();
    }

    private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        return store;
    }

    private static char[] randomPassword() {
        SecureRandom random = new SecureRandom();
        char[] password = new char[32];
        for (int i = 0; i < password.length; i++) {
            password[i] = (char) ('a' + random.nextInt(26));
        }
        return password;
    }
}
