package dev.kmsplugin.bench.minimal;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.DecryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.EncryptResponse;
import dev.kmsplugin.adapter.grpc.wire.v2.KeyManagementServiceGrpc;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusRequest;
import dev.kmsplugin.adapter.grpc.wire.v2.StatusResponse;
import dev.kmsplugin.bench.targets.NoopKmsServer;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The minimal SoftHSM plugin, a floor for {@code bench/run}: grpc-java on a unix socket, a v2 KeyManagementService
 * that does AES-256-GCM in a SoftHSM token with a persistent, sensitive, non-extractable key and a fresh 12-byte IV,
 * and nothing else (no metrics, no logging per call, no validation beyond not crashing, no key rotation, no AAD).
 * It shares no code with the product's simulator backend; only the generated v2 wire classes are the product's.
 *
 * <p>Run as its own JVM: {@code java -cp <bench class path> dev.kmsplugin.bench.minimal.MinimalPlugin SOCKET DIR},
 * with {@code SOFTHSM2_CONF=DIR/softhsm2.conf} in the environment (SoftHSM reads it when its library loads). The
 * first start in {@code DIR} initialises a token there and generates the key; later starts use them. It prints one
 * line {@code ready} once it serves. SIGTERM stops it.
 */
public final class MinimalPlugin {

    private static final String LABEL = "minimal";
    private static final String KEY_ALIAS = "kek";
    private static final String KEY_ID = "minimal-kek-1";
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private static final List<String> LIBRARIES = List.of("/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
            "/usr/lib64/pkcs11/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so");

    private MinimalPlugin() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: MinimalPlugin SOCKET DIR (with SOFTHSM2_CONF=DIR/softhsm2.conf)");
            System.exit(2);
        }
        Path socket = Path.of(args[0]).toAbsolutePath();
        Path dir = Path.of(args[1]).toAbsolutePath();
        Path conf = dir.resolve("softhsm2.conf");
        if (!conf.toString().equals(System.getenv("SOFTHSM2_CONF"))) {
            throw new IllegalStateException("SOFTHSM2_CONF must be " + conf + " (SoftHSM reads it when it loads)");
        }
        String library = LIBRARIES.stream().filter(path -> Files.isReadable(Path.of(path))).findFirst()
                .orElseThrow(() -> new IllegalStateException("no libsofthsm2.so in " + LIBRARIES));

        char[] pin = token(dir, conf);
        Provider provider = Security.getProvider("SunPKCS11").configure("--name=minimal\n"
                + "library=" + library + "\n"
                // the only initialised token in this configuration comes first in the slot list
                + "slotListIndex=0\n"
                // every secret key made or stored here stays in the token: sensitive, never extractable
                + "attributes(*,CKO_SECRET_KEY,*) = {\n"
                + "  CKA_SENSITIVE = true\n"
                + "  CKA_EXTRACTABLE = false\n"
                + "}\n");
        KeyStore store = KeyStore.getInstance("PKCS11", provider);
        store.load(null, pin); // logs in with the user PIN
        if (!store.containsAlias(KEY_ALIAS)) {
            // A session key made in the token, then stored as a persistent token object (C_CopyObject with
            // CKA_TOKEN true and the alias as its label); the stored object is the key used from here on.
            KeyGenerator generator = KeyGenerator.getInstance("AES", provider);
            generator.init(256);
            store.setEntry(KEY_ALIAS, new KeyStore.SecretKeyEntry(generator.generateKey()), null);
        }
        SecretKey key = (SecretKey) store.getKey(KEY_ALIAS, null);
        // SunPKCS11 describes it: "token object, sensitive, unextractable" (its "bits" are CKA_VALUE_LEN, 32 bytes)
        System.out.println("key: " + key);

        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("Netty's epoll transport is unavailable", Epoll.unavailabilityCause());
        }
        Files.deleteIfExists(socket);
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(EpollIoHandler.newFactory());
        // grpc-java's defaults otherwise: handlers run on its default (cached) executor.
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(boss)
                .workerEventLoopGroup(workers)
                .addService(new Service(provider, key))
                .build()
                .start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> NoopKmsServer.stop(server, false, boss, workers),
                "minimal-stop"));
        System.out.println("ready");
        System.out.flush();
        server.awaitTermination();
    }

    /**
     * Initialises the token in {@code dir} on the first start; returns its user PIN. The PINs are random, kept in
     * an owner-only file beside the token, and given to softhsm2-util as arguments: acceptable for a benchmark token
     * that guards nothing (the product types them at the tool's prompts instead).
     */
    private static char[] token(Path dir, Path conf) throws IOException, InterruptedException {
        Path pinFile = dir.resolve("user.pin");
        if (Files.exists(pinFile)) {
            return Files.readString(pinFile, StandardCharsets.US_ASCII).strip().toCharArray();
        }
        Path tokens = dir.resolve("tokens");
        Files.createDirectories(tokens, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Files.writeString(conf, "directories.tokendir = " + tokens + "\n"
                + "objectstore.backend = file\n"
                + "log.level = ERROR\n"
                + "slots.removable = false\n", StandardCharsets.US_ASCII);
        SecureRandom random = new SecureRandom();
        byte[] pins = new byte[16];
        random.nextBytes(pins);
        String soPin = HexFormat.of().formatHex(pins, 0, 8);
        String userPin = HexFormat.of().formatHex(pins, 8, 16);
        ProcessBuilder builder = new ProcessBuilder("softhsm2-util", "--init-token", "--free", "--label", LABEL,
                "--so-pin", soPin, "--pin", userPin).redirectErrorStream(true);
        builder.environment().put("SOFTHSM2_CONF", conf.toString());
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("softhsm2-util --init-token failed: " + output.strip());
        }
        Files.writeString(pinFile, userPin, StandardCharsets.US_ASCII);
        Files.setPosixFilePermissions(pinFile, PosixFilePermissions.fromString("rw-------"));
        return userPin.toCharArray();
    }

    /** v2 Status, Encrypt and Decrypt; ciphertext = IV (12) || AES-256-GCM output (ciphertext and 16-byte tag). */
    private static final class Service extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {

        private static final StatusResponse STATUS = StatusResponse.newBuilder().setVersion("v2").setHealthz("ok")
                .setKeyId(KEY_ID).build();

        private final SecretKey key;
        private final SecureRandom random = new SecureRandom();
        private final ThreadLocal<Cipher> ciphers;

        Service(Provider provider, SecretKey key) {
            this.key = key;
            this.ciphers = ThreadLocal.withInitial(() -> {
                try {
                    return Cipher.getInstance("AES/GCM/NoPadding", provider);
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            });
        }

        @Override
        public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
            response.onNext(STATUS);
            response.onCompleted();
        }

        @Override
        public void encrypt(EncryptRequest request, StreamObserver<EncryptResponse> response) {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            byte[] sealed;
            try {
                Cipher cipher = ciphers.get();
                cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
                sealed = cipher.doFinal(request.getPlaintext().toByteArray());
            } catch (GeneralSecurityException | ProviderException e) {
                ciphers.remove();
                response.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
                return;
            }
            response.onNext(EncryptResponse.newBuilder()
                    .setCiphertext(ByteString.copyFrom(iv).concat(ByteString.copyFrom(sealed)))
                    .setKeyId(KEY_ID).build());
            response.onCompleted();
        }

        @Override
        public void decrypt(DecryptRequest request, StreamObserver<DecryptResponse> response) {
            byte[] ciphertext = request.getCiphertext().toByteArray();
            if (ciphertext.length < IV_BYTES + TAG_BITS / 8) {
                response.onError(Status.INVALID_ARGUMENT.withDescription("ciphertext too short").asRuntimeException());
                return;
            }
            byte[] plaintext;
            try {
                Cipher cipher = ciphers.get();
                cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, ciphertext, 0, IV_BYTES));
                plaintext = cipher.doFinal(ciphertext, IV_BYTES, ciphertext.length - IV_BYTES);
            } catch (GeneralSecurityException | ProviderException e) {
                ciphers.remove();
                response.onError(Status.INVALID_ARGUMENT.withDescription(e.toString()).asRuntimeException());
                return;
            }
            response.onNext(DecryptResponse.newBuilder().setPlaintext(ByteString.copyFrom(plaintext)).build());
            response.onCompleted();
        }
    }
}
