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
                    yield generate(flag, path, pkcs8Algorithm(flag, path, der), der, "not a PKCS#8 private key");
                }
                case "RSA PRIVATE KEY" -> {
                    pkcs8 = wrapPkcs1(flag, path, der);
                    yield generate(flag, path, "RSA", pkcs8, "not a PKCS#1 RSA private key");
                }
                case "EC PRIVATE KEY" -> {
                    pkcs8 = wrapSec1(flag, path, der);
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

    /** The JDK algorithm name for a PKCS#8 PrivateKeyInfo's AlgorithmIdentifier. */
    private static String pkcs8Algorithm(String flag, Path path, byte[] der) {
        try {
            Der.Element info = Der.whole(der);
            Der.Element version = info.first();
            Der.Element algorithm = version.next(info.end());
            if (info.tag() != Der.SEQUENCE || version.tag() != Der.INTEGER || algorithm == null
                    || algorithm.tag() != Der.SEQUENCE) {
                throw new IllegalArgumentException("not a PrivateKeyInfo");
            }
            byte[] oid = algorithm.first().encoded();
            if (Arrays.equals(oid, Der.RSA_ENCRYPTION)) {
                return "RSA";
            }
            if (Arrays.equals(oid, Der.RSASSA_PSS)) {
                return "RSASSA-PSS";
            }
            if (Arrays.equals(oid, Der.EC_PUBLIC_KEY)) {
                return "EC";
            }
            if (Arrays.equals(oid, Der.ED25519)) {
                return "Ed25519";
            }
            throw misconfigured(flag, path, "a PKCS#8 key of an algorithm kms-plugin does not use for TLS; "
                    + "use an RSA, EC or Ed25519 key");
        } catch (IllegalArgumentException e) {
            throw misconfigured(flag, path, "not a PKCS#8 private key (" + e.getMessage() + ")");
        }
    }

    /** PKCS#1 RSAPrivateKey inside PKCS#8 PrivateKeyInfo { 0, rsaEncryption NULL, OCTET STRING }. */
    private static byte[] wrapPkcs1(String flag, Path path, byte[] der) {
        try {
            Der.Element key = Der.whole(der);
            Der.Element version = key.first();
            Der.Element modulus = version.next(key.end());
            if (key.tag() != Der.SEQUENCE || !(version.isSmallInteger(0) || version.isSmallInteger(1))
                    || modulus == null || modulus.tag() != Der.INTEGER) {
                throw new IllegalArgumentException("not an RSAPrivateKey structure");
            }
        } catch (IllegalArgumentException e) {
            throw misconfigured(flag, path, "not a PKCS#1 RSA private key (" + e.getMessage() + ")");
        }
        byte[] algorithm = Der.encode(Der.SEQUENCE, Der.RSA_ENCRYPTION, new byte[] {Der.NULL, 0});
        return Der.encode(Der.SEQUENCE, new byte[] {Der.INTEGER, 1, 0}, algorithm, Der.encode(Der.OCTET_STRING, der));
    }

    /**
     * SEC1 ECPrivateKey { 1, privateKey, [0] curve OID, [1] public key } inside PKCS#8 PrivateKeyInfo
     * { 0, id-ecPublicKey curve, OCTET STRING }: the curve moves from the key's [0] into the AlgorithmIdentifier.
     */
    private static byte[] wrapSec1(String flag, Path path, byte[] der) {
        byte[] curve = null;
        try {
            Der.Element key = Der.whole(der);
            Der.Element version = key.first();
            Der.Element secret = version.next(key.end());
            if (key.tag() != Der.SEQUENCE || !version.isSmallInteger(1) || secret == null
                    || secret.tag() != Der.OCTET_STRING) {
                throw new IllegalArgumentException("not an ECPrivateKey structure");
            }
            for (Der.Element field = secret.next(key.end()); field != null; field = field.next(key.end())) {
                if (field.tag() == Der.CONTEXT_0) {
                    Der.Element parameters = field.first();
                    if (parameters.tag() != Der.OID) {
                        throw new IllegalArgumentException("explicit curve parameters; only named curves are "
                                + "supported (openssl ecparam -name prime256v1)");
                    }
                    curve = parameters.encoded();
                }
            }
        } catch (IllegalArgumentException e) {
            throw misconfigured(flag, path, "not a SEC1 EC private key (" + e.getMessage() + ")");
        }
        if (curve == null) {
            throw misconfigured(flag, path, "the SEC1 EC private key does not name its curve; convert it to PKCS#8 "
                    + "with 'openssl pkey -in " + path + " -out <key.pem>'");
        }
        byte[] algorithm = Der.encode(Der.SEQUENCE, Der.EC_PUBLIC_KEY, curve);
        return Der.encode(Der.SEQUENCE, new byte[] {Der.INTEGER, 1, 0}, algorithm, Der.encode(Der.OCTET_STRING, der));
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

    private static KmsException.Misconfigured misconfigured(String flag, Path path, String problem) {
        return new KmsException.Misconfigured(flag + " " + shown(path) + ": " + problem);
    }

    private static String shown(Path path) {
        return Messages.oneLine(path.toString(), 300);
    }
}
