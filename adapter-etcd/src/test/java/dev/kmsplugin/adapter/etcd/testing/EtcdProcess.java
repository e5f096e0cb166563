package dev.kmsplugin.adapter.etcd.testing;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.etcd.client.EtcdChannels;
import dev.kmsplugin.adapter.etcd.client.EtcdSettings;
import dev.kmsplugin.adapter.etcd.testing.proto.CompactionRequest;
import dev.kmsplugin.adapter.etcd.testing.proto.KVGrpc;
import dev.kmsplugin.adapter.etcd.testing.proto.PutRequest;
import dev.kmsplugin.adapter.etcd.testing.proto.RequestOp;
import dev.kmsplugin.adapter.etcd.testing.proto.TxnRequest;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real etcd ({@code /usr/bin/etcd}, Debian's etcd-server) on 127.0.0.1 for tests: ephemeral ports, a temporary
 * data directory, TLS with client-certificate auth. The certificates are made with openssl in the same directory:
 * a CA, a server certificate for IP 127.0.0.1, a client certificate whose key is PKCS#1 (as kubeadm writes
 * apiserver-etcd-client.key), and a second CA with its own client certificate that etcd does not trust.
 *
 * <p>Writes go over etcd's own gRPC API (KV/Put, KV/Txn with up to 128 puts each, KV/Compact) with the trusted
 * client certificate. {@link #close()} kills etcd and deletes the directory.
 */
public final class EtcdProcess implements AutoCloseable {

    private static final Path ETCD = Path.of("/usr/bin/etcd");
    private static final Path ETCDCTL = Path.of("/usr/bin/etcdctl");
    private static final Path OPENSSL = Path.of("/usr/bin/openssl");
    /** The CN of the trusted client certificate: etcd's user name for it once authentication is on. */
    public static final String CLIENT_USER = "kms-audit";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** etcd's default --max-txn-ops. */
    private static final int MAX_TXN_OPS = 128;
    /** Puts in one Txn stay under etcd's default --max-request-bytes (1.5 MiB) with room for the framing. */
    private static final int MAX_TXN_BYTES = 1 << 20;

    private final Path directory;
    private final Process process;
    private final URI endpoint;
    private final ManagedChannel channel;
    private final KVGrpc.KVBlockingStub kv;

    private EtcdProcess(Path directory, Process process, URI endpoint, ManagedChannel channel) {
        this.directory = directory;
        this.process = process;
        this.endpoint = endpoint;
        this.channel = channel;
        this.kv = KVGrpc.newBlockingStub(channel);
    }

    /** Starts etcd and returns once it answers a write. */
    public static EtcdProcess start() {
        if (!Files.isExecutable(ETCD)) {
            throw new IllegalStateException(ETCD + " is missing: the etcd tests need a real etcd; install it with "
                    + "'apt-get install etcd-server'");
        }
        if (!Files.isExecutable(OPENSSL)) {
            throw new IllegalStateException(OPENSSL + " is missing: install it with 'apt-get install openssl'");
        }
        Path directory;
        try {
            directory = Files.createTempDirectory("etcd-fixture-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Process process = null;
        ManagedChannel channel = null;
        try {
            makeCertificates(directory);
            int clientPort = freePort();
            int peerPort = freePort();
            URI endpoint = URI.create("https://127.0.0.1:" + clientPort);
            String peer = "http://127.0.0.1:" + peerPort;
            process = new ProcessBuilder(ETCD.toString(),
                    "--name", "fixture",
                    "--data-dir", directory.resolve("data").toString(),
                    "--listen-client-urls", endpoint.toString(),
                    "--advertise-client-urls", endpoint.toString(),
                    "--listen-peer-urls", peer,
                    "--initial-advertise-peer-urls", peer,
                    "--initial-cluster", "fixture=" + peer,
                    "--initial-cluster-state", "new",
                    "--cert-file", directory.resolve("server.crt").toString(),
                    "--key-file", directory.resolve("server.key").toString(),
                    "--trusted-ca-file", directory.resolve("ca.crt").toString(),
                    "--client-cert-auth",
                    "--logger", "zap",
                    "--log-outputs", "stderr")
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("etcd.log").toFile())
                    .start();
            EtcdSettings settings = EtcdSettings.of(List.of(endpoint)).withTls(
                    Optional.of(directory.resolve("ca.crt")), Optional.of(directory.resolve("client.crt")),
                    Optional.of(directory.resolve("client.key")));
            channel = EtcdChannels.open(endpoint, EtcdChannels.tls(settings), EtcdChannels.MAX_INBOUND_BYTES);
            EtcdProcess etcd = new EtcdProcess(directory, process, endpoint, channel);
            etcd.awaitReady();
            return etcd;
        } catch (RuntimeException | IOException e) {
            if (channel != null) {
                channel.shutdownNow();
            }
            String log = readLog(directory);
            if (process != null) {
                process.destroyForcibly();
                waitFor(process);
            }
            deleteTree(directory);
            throw new IllegalStateException("etcd did not start: " + e + "\netcd's log:\n" + log, e);
        }
    }

    /** The client URL, https://127.0.0.1:port. */
    public URI endpoint() {
        return endpoint;
    }

    /** The CA that signed etcd's server certificate and the trusted client certificate. */
    public Path caCert() {
        return directory.resolve("ca.crt");
    }

    /** A client certificate etcd accepts. */
    public Path clientCert() {
        return directory.resolve("client.crt");
    }

    /** Its private key, PKCS#1 ({@code BEGIN RSA PRIVATE KEY}). */
    public Path clientKey() {
        return directory.resolve("client.key");
    }

    /** A CA etcd does not trust (and that did not sign etcd's server certificate). */
    public Path untrustedCaCert() {
        return directory.resolve("rogue-ca.crt");
    }

    /** A client certificate signed by {@link #untrustedCaCert()}. */
    public Path untrustedClientCert() {
        return directory.resolve("rogue-client.crt");
    }

    /** Its private key, PKCS#8. */
    public Path untrustedClientKey() {
        return directory.resolve("rogue-client.key");
    }

    /** Settings that reach this etcd with the trusted client certificate. */
    public EtcdSettings settings() {
        return EtcdSettings.of(List.of(endpoint)).withTls(Optional.of(caCert()), Optional.of(clientCert()),
                Optional.of(clientKey()));
    }

    /** Writes one key; returns the store's revision after the write. */
    public long put(byte[] key, byte[] value) {
        return kv.withDeadlineAfter(30, TimeUnit.SECONDS).put(PutRequest.newBuilder()
                .setKey(ByteString.copyFrom(key)).setValue(ByteString.copyFrom(value)).build())
                .getHeader().getRevision();
    }

    /** Writes many keys, up to 128 (and about 1 MiB) per transaction; returns the last revision. */
    public long putAll(Map<byte[], byte[]> entries) {
        long revision = 0;
        TxnRequest.Builder txn = TxnRequest.newBuilder();
        int bytes = 0;
        for (Map.Entry<byte[], byte[]> entry : entries.entrySet()) {
            int size = entry.getKey().length + entry.getValue().length;
            if (txn.getSuccessCount() == MAX_TXN_OPS || (txn.getSuccessCount() > 0 && bytes + size > MAX_TXN_BYTES)) {
                revision = commit(txn.build());
                txn = TxnRequest.newBuilder();
                bytes = 0;
            }
            txn.addSuccess(RequestOp.newBuilder().setRequestPut(PutRequest.newBuilder()
                    .setKey(ByteString.copyFrom(entry.getKey())).setValue(ByteString.copyFrom(entry.getValue()))));
            bytes += size;
        }
        if (txn.getSuccessCount() > 0) {
            revision = commit(txn.build());
        }
        return revision;
    }

    /** Compacts the store's history up to {@code revision}: reads at older revisions fail from then on. */
    public void compact(long revision) {
        kv.withDeadlineAfter(30, TimeUnit.SECONDS)
                .compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
    }

    /**
     * Turns on etcd's authentication with etcdctl (Debian's etcd-client): a root user with a password, and the
     * trusted client certificate's user ({@value #CLIENT_USER}, its CN, password-less) allowed to read keys under
     * {@code readablePrefix} only. From then on this fixture's own writes are refused too; write first.
     */
    public void enableAuth(String readablePrefix) {
        etcdctl("user", "add", "root", "--new-user-password=fixture-root");
        etcdctl("user", "grant-role", "root", "root");
        etcdctl("role", "add", "reader");
        etcdctl("role", "grant-permission", "reader", "--prefix=true", "read", readablePrefix);
        etcdctl("user", "add", CLIENT_USER, "--no-password");
        etcdctl("user", "grant-role", CLIENT_USER, "reader");
        etcdctl("auth", "enable");
    }

    /** etcd's log so far, for a failed test's message. */
    public String log() {
        return readLog(directory);
    }

    @Override
    public void close() {
        channel.shutdownNow();
        process.destroyForcibly();
        waitFor(process);
        deleteTree(directory);
    }

    private void etcdctl(String... arguments) {
        if (!Files.isExecutable(ETCDCTL)) {
            throw new IllegalStateException(ETCDCTL + " is missing: install it with 'apt-get install etcd-client'");
        }
        List<String> command = new ArrayList<>(List.of(ETCDCTL.toString(), "--endpoints=" + endpoint,
                "--cacert=" + caCert(), "--cert=" + clientCert(), "--key=" + clientKey()));
        command.addAll(List.of(arguments));
        try {
            Process etcdctl = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output = new String(etcdctl.getInputStream().readAllBytes());
            if (waitFor(etcdctl) != 0) {
                throw new IllegalStateException("etcdctl " + String.join(" ", arguments) + " failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private long commit(TxnRequest txn) {
        return kv.withDeadlineAfter(30, TimeUnit.SECONDS).txn(txn).getHeader().getRevision();
    }

    /** Polls with a write (which needs a leader) until it succeeds, etcd exits, or the start timeout passes. */
    private void awaitReady() {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        PutRequest probe = PutRequest.newBuilder()
                .setKey(ByteString.copyFromUtf8("/fixture/ready")).setValue(ByteString.copyFromUtf8("1")).build();
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited with status " + process.exitValue());
            }
            long left = Duration.between(Instant.now(), deadline).toMillis();
            if (left <= 0) {
                throw new IllegalStateException("etcd did not answer within " + START_TIMEOUT.toSeconds() + " s");
            }
            try {
                // waitForReady: the call waits for the connection instead of failing while etcd is still binding.
                kv.withWaitForReady().withDeadlineAfter(Math.min(left, 2000), TimeUnit.MILLISECONDS).put(probe);
                return;
            } catch (StatusRuntimeException e) {
                // not yet: no listener, or no leader yet; try again until the deadline
            }
        }
    }

    private static void makeCertificates(Path directory) throws IOException {
        Path serverExt = directory.resolve("server.ext");
        Files.writeString(serverExt, "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                + "keyUsage=critical,digitalSignature,keyEncipherment\n");
        Path clientExt = directory.resolve("client.ext");
        Files.writeString(clientExt,
                "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n");
        for (String ca : List.of("ca", "rogue-ca")) {
            openssl(directory, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-days", "2", "-subj", "/CN=" + ca);
        }
        openssl(directory, "ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "server.key");
        signed(directory, "server", "ca", "/CN=etcd-fixture", serverExt);
        // kubeadm's apiserver-etcd-client.key is PKCS#1: "BEGIN RSA PRIVATE KEY".
        openssl(directory, "genrsa", "-traditional", "-out", "client.key", "2048");
        signed(directory, "client", "ca", "/CN=" + CLIENT_USER, clientExt);
        openssl(directory, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                "-out", "rogue-client.key");
        signed(directory, "rogue-client", "rogue-ca", "/CN=kms-audit", clientExt);
    }

    private static void signed(Path directory, String name, String ca, String subject, Path extensions)
            throws IOException {
        openssl(directory, "req", "-new", "-key", name + ".key", "-out", name + ".csr", "-subj", subject);
        openssl(directory, "x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
                "-CAcreateserial", "-out", name + ".crt", "-days", "2", "-extfile", extensions.toString());
    }

    private static void openssl(Path directory, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(OPENSSL.toString());
        command.addAll(List.of(arguments));
        Process openssl = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(openssl.getInputStream().readAllBytes());
        if (waitFor(openssl) != 0) {
            throw new IllegalStateException("openssl " + String.join(" ", arguments) + " failed: " + output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static int waitFor(Process process) {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String readLog(Path directory) {
        try {
            Path log = directory.resolve("etcd.log");
            if (!Files.exists(log)) {
                return "(no log)";
            }
            String text = Files.readString(log);
            return text.length() > 8000 ? text.substring(text.length() - 8000) : text;
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    private static void deleteTree(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp directory left behind is not a test failure
        }
    }
}
