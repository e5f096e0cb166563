package dev.kmsplugin.adapter.etcd.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kmsplugin.domain.failure.KmsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECParameterSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys and certificates made by openssl, read back; broken and encrypted files, refused without leaking bytes. */
class PemFilesTest {

    @TempDir
    Path directory;

    @Test
    void reads_a_pkcs1_rsa_key_as_openssl_genrsa_traditional_writes_it() throws IOException {
        openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
        openssl("pkcs8", "-topk8", "-nocrypt", "-in", "rsa.key", "-out", "rsa.p8");
        assertTrue(Files.readString(file("rsa.key")).startsWith("-----BEGIN RSA PRIVATE KEY-----"));

        RSAPrivateCrtKey pkcs1 = (RSAPrivateCrtKey) PemFiles.privateKey("--etcd-key", file("rsa.key"));
        RSAPrivateCrtKey pkcs8 = (RSAPrivateCrtKey) PemFiles.privateKey("--etcd-key", file("rsa.p8"));
        assertEquals(pkcs8.getModulus(), pkcs1.getModulus());
        assertEquals(pkcs8.getPrivateExponent(), pkcs1.getPrivateExponent());
        assertEquals(pkcs8.getCrtCoefficient(), pkcs1.getCrtCoefficient());
    }

    @Test
    void reads_sec1_ec_keys_with_the_curve_from_the_key_itself() throws IOException {
        for (String curve : List.of("prime256v1", "secp384r1")) {
            // ecparam -genkey also writes an EC PARAMETERS block before the key
            openssl("ecparam", "-genkey", "-name", curve, "-out", curve + ".key");
            openssl("pkcs8", "-topk8", "-nocrypt", "-in", curve + ".key", "-out", curve + ".p8");
            assertTrue(Files.readString(file(curve + ".key")).contains("-----BEGIN EC PRIVATE KEY-----"));

            ECPrivateKey sec1 = (ECPrivateKey) PemFiles.privateKey("--etcd-key", file(curve + ".key"));
            ECPrivateKey pkcs8 = (ECPrivateKey) PemFiles.privateKey("--etcd-key", file(curve + ".p8"));
            assertEquals(pkcs8.getS(), sec1.getS());
            ECParameterSpec expected = pkcs8.getParams();
            assertEquals(expected.getCurve(), sec1.getParams().getCurve(), curve);
            assertEquals(expected.getOrder(), sec1.getParams().getOrder(), curve);
        }
    }

    @Test
    void reads_pkcs8_keys_as_openssl_genpkey_writes_them() throws IOException {
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec.key");
        openssl("genpkey", "-algorithm", "ED25519", "-out", "ed.key");

        assertEquals("RSA", PemFiles.privateKey("--etcd-key", file("rsa.key")).getAlgorithm());
        assertEquals("EC", PemFiles.privateKey("--etcd-key", file("ec.key")).getAlgorithm());
        assertTrue(PemFiles.privateKey("--etcd-key", file("ed.key")).getAlgorithm().startsWith("Ed"));
    }

    @Test
    void a_key_and_its_certificate_are_checked_to_belong_together() throws IOException {
        openssl("genrsa", "-traditional", "-out", "mine.key", "2048");
        openssl("req", "-x509", "-key", "mine.key", "-out", "mine.crt", "-days", "1", "-subj", "/CN=mine");
        openssl("ecparam", "-genkey", "-name", "prime256v1", "-out", "other.key");

        PrivateKey mine = PemFiles.privateKey("--etcd-key", file("mine.key"));
        PrivateKey other = PemFiles.privateKey("--etcd-key", file("other.key"));
        var certificate = PemFiles.certificates("--etcd-cert", file("mine.crt")).get(0);
        PemFiles.checkPair(mine, certificate, file("mine.crt"), file("mine.key"));

        KmsException failure = assertThrows(KmsException.Misconfigured.class,
                () -> PemFiles.checkPair(other, certificate, file("mine.crt"), file("other.key")));
        assertTrue(failure.getMessage().contains("is not the private key of the certificate"), failure.getMessage());
    }

    @Test
    void reads_every_certificate_of_a_chain_in_order() throws IOException {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "a.key", "-out", "a.crt", "-days", "1", "-subj", "/CN=first");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", "b.key", "-out", "b.crt", "-days", "1", "-subj", "/CN=second");
        Files.writeString(file("chain.crt"), Files.readString(file("a.crt")) + Files.readString(file("b.crt")));

        var chain = PemFiles.certificates("--etcd-cacert", file("chain.crt"));
        assertEquals(2, chain.size());
        assertEquals("CN=first", chain.get(0).getSubjectX500Principal().getName());
        assertEquals("CN=second", chain.get(1).getSubjectX500Principal().getName());
    }

    @Test
    void encrypted_keys_are_refused_with_the_command_that_decrypts_them() throws IOException {
        openssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-aes256",
                "-pass", "pass:secret-pass", "-out", "pkcs8.key");
        openssl("genrsa", "-traditional", "-aes256", "-passout", "pass:secret-pass", "-out", "pkcs1.key", "2048");
        assertTrue(Files.readString(file("pkcs8.key")).contains("ENCRYPTED PRIVATE KEY"));
        assertTrue(Files.readString(file("pkcs1.key")).contains("Proc-Type: 4,ENCRYPTED"));

        for (String name : List.of("pkcs8.key", "pkcs1.key")) {
            String message = refused(name);
            assertTrue(message.contains("encrypted"), message);
            assertTrue(message.contains("openssl pkey -in " + file(name)), message);
        }
    }

    @Test
    void malformed_files_are_refused_naming_the_flag_the_path_and_the_problem() throws IOException {
        openssl("genrsa", "-traditional", "-out", "rsa.key", "2048");
        openssl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", "ec.key");
        openssl("req", "-x509", "-key", "rsa.key", "-out", "rsa.crt", "-days", "1", "-subj", "/CN=x");
        String rsa = Files.readString(file("rsa.key"));
        String ec = Files.readString(file("ec.key"));
        Files.writeString(file("empty.key"), "");
        Files.writeString(file("der.key"), "\u0030\u0082 binary junk, no armour");
        // an EC key labelled as RSA, and an RSA key labelled as EC
        Files.writeString(file("ec-as-rsa.key"), ec.replace("EC PRIVATE KEY", "RSA PRIVATE KEY"));
        Files.writeString(file("rsa-as-ec.key"), rsa.replace("RSA PRIVATE KEY", "EC PRIVATE KEY"));
        Files.writeString(file("rsa-as-pkcs8.key"), rsa.replace("RSA PRIVATE KEY", "PRIVATE KEY"));
        // the body cut short: the DER inside no longer ends where its length says
        List<String> lines = new ArrayList<>(rsa.lines().toList());
        Files.writeString(file("truncated.key"), String.join("\n", lines.subList(0, 5)) + "\n"
                + lines.get(lines.size() - 1) + "\n");
        Files.writeString(file("not-base64.key"), "-----BEGIN RSA PRIVATE KEY-----\n!!!!\n-----END RSA PRIVATE KEY-----\n");
        Files.writeString(file("no-end.key"), rsa.substring(0, rsa.indexOf("-----END")));

        assertTrue(refused("empty.key").contains("no PEM block"));
        assertTrue(refused("der.key").contains("no PEM block"));
        assertTrue(refused("rsa.crt").contains("no private key PEM block (found CERTIFICATE)"));
        assertTrue(refused("ec-as-rsa.key").contains("not a PKCS#1 RSA private key"));
        assertTrue(refused("rsa-as-ec.key").contains("not a SEC1 EC private key"));
        assertTrue(refused("rsa-as-pkcs8.key").contains("not a PKCS#8 private key"));
        assertTrue(refused("truncated.key").contains("not a PKCS#1 RSA private key"));
        assertTrue(refused("not-base64.key").contains("not valid base64"));
        assertTrue(refused("no-end.key").contains("no END line"));

        KmsException notACertificate = assertThrows(KmsException.Misconfigured.class,
                () -> PemFiles.certificates("--etcd-cert", file("rsa.key")));
        assertTrue(notACertificate.getMessage().startsWith("--etcd-cert " + file("rsa.key") + ": "));
        assertTrue(notACertificate.getMessage().contains("no CERTIFICATE PEM block"));
        assertNoKeyMaterial(notACertificate.getMessage(), rsa);
    }

    /** Reads {@code name} as a key, expects a refusal that names flag and path, and leaks nothing of the file. */
    private String refused(String name) throws IOException {
        Path path = file(name);
        KmsException failure = assertThrows(KmsException.Misconfigured.class,
                () -> PemFiles.privateKey("--etcd-key", path));
        String message = failure.getMessage();
        assertTrue(message.startsWith("--etcd-key " + path + ": "), message);
        assertNull(failure.getCause(), "no cause whose message could quote the key");
        assertFalse(message.contains("\n"), message);
        assertNoKeyMaterial(message, Files.readString(path, java.nio.charset.StandardCharsets.ISO_8859_1));
        return message;
    }

    private static void assertNoKeyMaterial(String message, String file) {
        for (String line : file.lines().toList()) {
            if (line.startsWith("-----") || line.contains(":") || line.isBlank()) {
                continue;
            }
            for (int i = 0; i + 8 <= line.length(); i += 4) {
                String piece = line.substring(i, i + 8);
                assertFalse(message.contains(piece), "the message quotes the file: " + piece);
            }
        }
    }

    private Path file(String name) {
        return directory.resolve(name);
    }

    private void openssl(String... arguments) throws IOException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/openssl"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        try {
            assertEquals(0, process.waitFor(), "openssl " + String.join(" ", arguments) + ": " + output);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }
}
