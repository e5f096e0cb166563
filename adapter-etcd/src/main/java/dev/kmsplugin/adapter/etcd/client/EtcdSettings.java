package dev.kmsplugin.adapter.etcd.client;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Where etcd is and how to authenticate to it, as etcdctl takes it: {@code --etcd-endpoints} (http:// or https://
 * host:port, tried in order), {@code --etcd-cacert} (the CA that signed etcd's server certificate; without it the
 * JDK's default trust applies), {@code --etcd-cert} and {@code --etcd-key} (a client certificate and its key, PEM;
 * both or neither).
 *
 * @param dialTimeout    how long to wait for one endpoint to answer before trying the next
 * @param requestTimeout how long one page of a read may take
 */
public record EtcdSettings(
        List<URI> endpoints,
        Optional<Path> caCert,
        Optional<Path> cert,
        Optional<Path> key,
        Duration dialTimeout,
        Duration requestTimeout) {

    public static final Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(30);

    static final String ENDPOINTS_FLAG = "--etcd-endpoints";
    static final String CA_FLAG = "--etcd-cacert";
    static final String CERT_FLAG = "--etcd-cert";
    static final String KEY_FLAG = "--etcd-key";

    public EtcdSettings {
        Objects.requireNonNull(endpoints, "endpoints");
        Objects.requireNonNull(caCert, "caCert");
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(dialTimeout, "dialTimeout");
        Objects.requireNonNull(requestTimeout, "requestTimeout");
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new KmsException.Misconfigured(ENDPOINTS_FLAG + " is empty: name at least one etcd endpoint, "
                    + "e.g. https://127.0.0.1:2379");
        }
        endpoints.forEach(EtcdSettings::checkEndpoint);
        if (cert.isPresent() != key.isPresent()) {
            throw new KmsException.Misconfigured(cert.isPresent()
                    ? CERT_FLAG + " is given without " + KEY_FLAG + ": a client certificate needs its private key"
                    : KEY_FLAG + " is given without " + CERT_FLAG + ": a private key needs its client certificate");
        }
        boolean tls = endpoints.stream().anyMatch(uri -> "https".equalsIgnoreCase(uri.getScheme()));
        if (!tls && (caCert.isPresent() || cert.isPresent())) {
            throw new KmsException.Misconfigured(CA_FLAG + ", " + CERT_FLAG + " and " + KEY_FLAG
                    + " need https:// endpoints, but " + ENDPOINTS_FLAG + " names only http:// ones");
        }
        caCert.ifPresent(path -> checkReadable(CA_FLAG, path));
        cert.ifPresent(path -> checkReadable(CERT_FLAG, path));
        key.ifPresent(path -> checkReadable(KEY_FLAG, path));
        if (dialTimeout.isNegative() || dialTimeout.isZero()) {
            throw new KmsException.Misconfigured("the etcd dial timeout must be positive, not " + dialTimeout);
        }
        if (requestTimeout.isNegative() || requestTimeout.isZero()) {
            throw new KmsException.Misconfigured("the etcd request timeout must be positive, not " + requestTimeout);
        }
    }

    /** Endpoints without TLS files and the default timeouts. */
    public static EtcdSettings of(List<URI> endpoints) {
        return new EtcdSettings(endpoints, Optional.empty(), Optional.empty(), Optional.empty(),
                DEFAULT_DIAL_TIMEOUT, DEFAULT_REQUEST_TIMEOUT);
    }

    /** These settings with TLS files. */
    public EtcdSettings withTls(Optional<Path> caCert, Optional<Path> cert, Optional<Path> key) {
        return new EtcdSettings(endpoints, caCert, cert, key, dialTimeout, requestTimeout);
    }

    /** These settings with other timeouts. */
    public EtcdSettings withTimeouts(Duration dialTimeout, Duration requestTimeout) {
        return new EtcdSettings(endpoints, caCert, cert, key, dialTimeout, requestTimeout);
    }

    /** {@code --etcd-endpoints} as etcdctl takes it: a comma-separated list of URLs. */
    public static List<URI> parseEndpoints(String commaSeparated) {
        List<URI> endpoints = new ArrayList<>();
        for (String part : Objects.requireNonNull(commaSeparated, "commaSeparated").split(",")) {
            String text = part.strip();
            if (text.isEmpty()) {
                continue;
            }
            try {
                endpoints.add(new URI(text));
            } catch (URISyntaxException e) {
                throw new KmsException.Misconfigured(ENDPOINTS_FLAG + ": '" + Messages.oneLine(text, 200)
                        + "' is not an http:// or https:// URL; expected e.g. https://127.0.0.1:2379");
            }
        }
        return endpoints;
    }

    /** The endpoints as the operator wrote them, for messages. */
    String endpointList() {
        return String.join(", ", endpoints.stream().map(URI::toString).toList());
    }

    private static void checkEndpoint(URI uri) {
        String scheme = uri.getScheme();
        boolean http = "http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme);
        String shown = Messages.oneLine(uri.toString(), 200);
        if (!http) {
            throw new KmsException.Misconfigured(ENDPOINTS_FLAG + ": '" + shown
                    + "' is not an http:// or https:// URL; expected e.g. https://127.0.0.1:2379");
        }
        if (uri.getHost() == null || uri.getPort() < 0) {
            throw new KmsException.Misconfigured(ENDPOINTS_FLAG + ": '" + shown
                    + "' needs a host and a port, e.g. https://127.0.0.1:2379");
        }
        boolean bare = (uri.getRawPath() == null || uri.getRawPath().isEmpty() || uri.getRawPath().equals("/"))
                && uri.getRawQuery() == null && uri.getRawFragment() == null && uri.getRawUserInfo() == null;
        if (!bare) {
            throw new KmsException.Misconfigured(ENDPOINTS_FLAG + ": '" + shown
                    + "' has a path, query or user part; an etcd endpoint is scheme://host:port only");
        }
    }

    private static void checkReadable(String flag, Path path) {
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new KmsException.Misconfigured(flag + " " + Messages.oneLine(path.toString(), 300)
                    + ": " + (Files.exists(path) ? "not a readable file" : "no such file"));
        }
    }
}
