package dev.kmsplugin.adapter.etcd.client;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Certificates and private keys from PEM files, as etcdctl and kubeadm write them. A private key may be PKCS#8
 * ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}, kubeadm's apiserver-etcd-client.key) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}); the last two are re-wrapped as PKCS#8 for the JDK. Encrypted keys are refused
 * with the command that decrypts them.
 *
 * <p>Every error names the flag and the path and says what is wrong in words; none quotes a byte of the file.
 */
public final class PemFiles {

    private static final long MAX_FILE_BYTES = 1 << 20;

    private PemFiles() {
    }

    /** A PEM block: its label ({@code CERTIFICATE}, {@code RSA PRIVATE KEY}, ...), headers, and base64 body. */
    private record Block(String label, List<String> headers, String base64) {
    }

    /** The X.509 certificates in {@code path}, in file order (leaf first, as TLS sends a chain). */
    public static List<X509Certificate> certificates(String flag, Path path) {
        List<Block> blocks = blocks(flag, path);
        List<X509Certificate> certificates = new ArrayList<>();
        CertificateFactory factory;
        try {
            factory = CertificateFactory.getInstance("X.509");
        } catch (CertificateException e) {
            throw new IllegalStateException("the JDK has no X.509 certificate factory", e);
        }
        for (Block block : blocks) {
            if (!block.label().equals("CERTIFICATE")) {
                continue;
            }
            byte[] der = decode(flag, path, block);
            try {
                certificates.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
            } catch (CertificateException e) {
                throw misconfigured(flag, path, "certificate " + (certificates.size() + 1)
                        + " is not a valid X.509 certificate");
            }
        }
        if (certificates.isEmpty()) {
            throw misconfigured(flag, path, blocks.isEmpty()
                    ? "no PEM block; expected -----BEGIN CERTIFICATE-----"
                    : "no CERTIFICATE PEM block (found " + labels(blocks) + ")");
        }
        return List.copyOf(certificates);
    }

    /** The one private key in {@code path}: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), unencrypted. */
    public static PrivateKey privateKey(String flag, Path path) {
        List<Block> blocks = blocks(flag, path);
        List<Block> keys = blocks.stream().filter(block -> block.label().endsWith("PRIVATE KEY")).toList();
        if (keys.isEmpty()) {
            throw misconfigured(flag, path, (blocks.isEmpty() ? "no PEM block" : "no private key PEM block (found "
                    + labels(blocks) + ")") + "; expected -----BEGIN PRIVATE KEY----- (PKCS#8), "
                    + "-----BEGIN RSA PRIVATE KEY----- (PKCS#1) or -----BEGIN EC PRIVATE KEY----- (SEC1)");
        }
        if (keys.size() > 1) {
            throw misconfigured(flag, path, keys.size() + " private key PEM blocks; expected exactly one");
        }
        Block block = keys.get(0);
        boolean encrypted = block.label().equals("ENCRYPTED PRIVATE KEY")
                || block.headers().stream().anyMatch(header -> header.toUpperCase().startsWith("PROC-TYPE:")
                        && header.toUpperCase().contains("ENCRYPTED"));
        if (encrypted) {
            throw misconfigured(flag, path, "the private key is encrypted with a passphrase, which kms-plugin "
                    + "cannot prompt for; write a decrypted copy readable only by you with 'openssl pkey -in "
                    + path + " -out <decrypted.key>' and pass that");
        }
        byte[] der = decode(flag, path, block);
        byte[] pkcs8 = null;
        try {
            return switch (block.label()) {
                case "PRIVATE KEY" -> {
                    pkcs8 = der;
                    yield generate(flag, path, Pkcs8.algorithm(flag, path, der), der, "not a PKCS#8 private key");
                }
                case "RSA PRIVATE KEY" -> {
                    pkcs8 = Pkcs8.fromPkcs1(flag, path, der);
                    yield generate(flag, path, "RSA", pkcs8, "not a PKCS#1 RSA private key");
                }
                case "EC PRIVATE KEY" -> {
                    pkcs8 = Pkcs8.fromSec1(flag, path, der);
                    yield generate(flag, path, "EC", pkcs8, "not a SEC1 EC private key on a curve the JDK supports");
                }
                default -> throw misconfigured(flag, path, "a '" + Messages.oneLine(block.label(), 40)
                        + "' block, which is not a private key format kms-plugin reads; expected PRIVATE KEY "
                        + "(PKCS#8), RSA PRIVATE KEY (PKCS#1) or EC PRIVATE KEY (SEC1)");
            };
        } finally {
            Arrays.fill(der, (byte) 0);
            if (pkcs8 != null) {
                Arrays.fill(pkcs8, (byte) 0);
            }
        }
    }

    /** Fails unless {@code key} is the private half of {@code certificate}'s public key. */
    static void checkPair(PrivateKey key, X509Certificate certificate, Path certPath, Path keyPath) {
        String algorithm = switch (key.getAlgorithm()) {
            case "RSA" -> "SHA256withRSA";
            case "EC" -> "SHA256withECDSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return; // let the TLS handshake judge keys we cannot sign a probe with
        }
        byte[] probe = "kms-plugin key pair check".getBytes(StandardCharsets.US_ASCII);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            PublicKey publicKey = certificate.getPublicKey();
            verifier.initVerify(publicKey);
            verifier.update(probe);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            matches = false;
        }
        if (!matches) {
            throw new KmsException.Misconfigured(EtcdSettings.KEY_FLAG + " " + shown(keyPath)
                    + " is not the private key of the certificate in " + EtcdSettings.CERT_FLAG + " "
                    + shown(certPath) + "; pass the key that was generated with that certificate");
        }
    }

    private static PrivateKey generate(String flag, Path path, String algorithm, byte[] pkcs8, String what) {
        try {
            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
        } catch (GeneralSecurityException e) {
            // The JDK's message is not quoted: it is about the key's structure, but we promise words of our own.
            throw misconfigured(flag, path, what);
        }
    }

    private static byte[] decode(String flag, Path path, Block block) {
        try {
            return Base64.getDecoder().decode(block.base64()); // the lines, stripped and joined
        } catch (IllegalArgumentException e) {
            throw misconfigured(flag, path, "the " + block.label() + " PEM block is not valid base64");
        }
    }

    private static List<Block> blocks(String flag, Path path) {
        String text;
        try {
            if (Files.size(path) > MAX_FILE_BYTES) {
                throw misconfigured(flag, path, "larger than 1 MiB, too large for a PEM file");
            }
            // ISO-8859-1 maps every byte to a char, so a binary file cannot fail decoding; PEM is ASCII anyway.
            text = new String(Files.readAllBytes(path), StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            throw misconfigured(flag, path, "cannot be read (" + e.getClass().getSimpleName() + ")");
        }
        List<Block> blocks = new ArrayList<>();
        String label = null;
        List<String> headers = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (String raw : text.split("\r?\n|\r")) {
            String line = raw.strip();
            if (label == null) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----")) {
                    label = line.substring(11, line.length() - 5);
                    headers = new ArrayList<>();
                    body = new StringBuilder();
                }
            } else if (line.startsWith("-----END ")) {
                if (!line.equals("-----END " + label + "-----")) {
                    throw misconfigured(flag, path, "the " + Messages.oneLine(label, 40)
                            + " PEM block ends with a different END line");
                }
                blocks.add(new Block(label, List.copyOf(headers), body.toString()));
                label = null;
            } else if (line.contains(":") && body.length() == 0) {
                headers.add(line);
            } else {
                body.append(line);
            }
        }
        if (label != null) {
            throw misconfigured(flag, path, "the " + Messages.oneLine(label, 40) + " PEM block has no END line");
        }
        return blocks;
    }

    private static String labels(List<Block> blocks) {
        return String.join(", ", blocks.stream().map(block -> Messages.oneLine(block.label(), 40)).toList());
    }

    static KmsException.Misconfigured misconfigured(String flag, Path path, String problem) {
        return new KmsException.Misconfigured(flag + " " + shown(path) + ": " + problem);
    }

    private static String shown(Path path) {
        return Messages.oneLine(path.toString(), 300);
    }
}
