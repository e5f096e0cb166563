package dev.kmsplugin.adapter.etcd.client;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The DER of private keys as PemFiles reads them: the algorithm of a PKCS#8 PrivateKeyInfo, and PKCS#1 (RSA) and
 * SEC1 (EC) keys wrapped into PKCS#8, which is what the JDK's {@code KeyFactory} reads. Errors name the flag and file.
 */
final class Pkcs8 {

    private Pkcs8() {
    }

    /** The JDK algorithm name for a PKCS#8 PrivateKeyInfo's AlgorithmIdentifier. */
    static String algorithm(String flag, Path path, byte[] der) {
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
            throw PemFiles.misconfigured(flag, path, "a PKCS#8 key of an algorithm kms-plugin does not use for TLS; "
                    + "use an RSA, EC or Ed25519 key");
        } catch (IllegalArgumentException e) {
            throw PemFiles.misconfigured(flag, path, "not a PKCS#8 private key (" + e.getMessage() + ")");
        }
    }

    /** PKCS#1 RSAPrivateKey inside PKCS#8 PrivateKeyInfo { 0, rsaEncryption NULL, OCTET STRING }. */
    static byte[] fromPkcs1(String flag, Path path, byte[] der) {
        try {
            Der.Element key = Der.whole(der);
            Der.Element version = key.first();
            Der.Element modulus = version.next(key.end());
            if (key.tag() != Der.SEQUENCE || !(version.isSmallInteger(0) || version.isSmallInteger(1))
                    || modulus == null || modulus.tag() != Der.INTEGER) {
                throw new IllegalArgumentException("not an RSAPrivateKey structure");
            }
        } catch (IllegalArgumentException e) {
            throw PemFiles.misconfigured(flag, path, "not a PKCS#1 RSA private key (" + e.getMessage() + ")");
        }
        byte[] algorithm = Der.encode(Der.SEQUENCE, Der.RSA_ENCRYPTION, new byte[] {Der.NULL, 0});
        return Der.encode(Der.SEQUENCE, new byte[] {Der.INTEGER, 1, 0}, algorithm, Der.encode(Der.OCTET_STRING, der));
    }

    /**
     * SEC1 ECPrivateKey { 1, privateKey, [0] curve OID, [1] public key } inside PKCS#8 PrivateKeyInfo
     * { 0, id-ecPublicKey curve, OCTET STRING }: the curve moves from the key's [0] into the AlgorithmIdentifier.
     */
    static byte[] fromSec1(String flag, Path path, byte[] der) {
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
            throw PemFiles.misconfigured(flag, path, "not a SEC1 EC private key (" + e.getMessage() + ")");
        }
        if (curve == null) {
            throw PemFiles.misconfigured(flag, path, "the SEC1 EC private key does not name its curve; convert it to PKCS#8 "
                    + "with 'openssl pkey -in " + path + " -out <key.pem>'");
        }
        byte[] algorithm = Der.encode(Der.SEQUENCE, Der.EC_PUBLIC_KEY, curve);
        return Der.encode(Der.SEQUENCE, new byte[] {Der.INTEGER, 1, 0}, algorithm, Der.encode(Der.OCTET_STRING, der));
    }
}
