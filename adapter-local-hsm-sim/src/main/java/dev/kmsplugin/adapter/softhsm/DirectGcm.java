package dev.kmsplugin.adapter.softhsm;

import dev.kmsplugin.domain.failure.KmsException;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Array;
import java.security.GeneralSecurityException;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import javax.crypto.AEADBadTagException;

/**
 * AES-256-GCM with AAD in the token through the JDK's own PKCS#11 binding ({@code sun.security.pkcs11.wrapper},
 * the layer under SunPKCS11): one {@code C_EncryptInit}/{@code C_DecryptInit} with the AAD and one
 * {@code C_Encrypt}/{@code C_Decrypt} per call, which is the least any PKCS#11 caller can do.
 *
 * <p>Through {@code javax.crypto.Cipher}, SunPKCS11 cannot do that on JDK 17: it starts the token operation before
 * the AAD can be given (so {@link TokenGcm} must prime a cipher under a session key first), and it first passes
 * the pre-2.40 {@code CK_GCM_PARAMS} layout, which SoftHSM refuses only after it has looked the key up, so every
 * set-up is two calls into the token. Here the parameters carry the AAD from the start and the 2.40 layout goes
 * first. Measured in process on one token (2 threads, C1): a wrap and an unwrap take about 57 µs of CPU this way
 * against about 108 µs through the cipher (docs/performance.md).
 *
 * <p>The package is not exported: the launcher opens it to this module ({@code --add-exports
 * jdk.crypto.cryptoki/sun.security.pkcs11.wrapper=dev.kmsplugin.adapter.softhsm}); it is reached through method
 * handles, so nothing here depends on it at compile time. The library handle is the one SunPKCS11 loaded and
 * initialised for the token (looked up by the same library path), the login is the provider's (PKCS#11 login state
 * belongs to the whole application), sessions are this class's own, and key objects are found by their labels.
 * {@link #open} proves the whole path against the provider's own cipher on the running JDK (the same bytes both
 * ways, a wrong AAD refused) and returns null, with one INFO line, when anything is missing or differs: calls then
 * take the cipher path, with the same bytes.
 */
final class DirectGcm {

    private static final Logger LOG = System.getLogger(DirectGcm.class.getName());
    private static final SecureRandom RANDOM = new SecureRandom();

    // PKCS#11 constants (PKCS #11 v2.40 base specification).
    private static final long CKF_SERIAL_SESSION = 0x4L;
    private static final long CKA_CLASS = 0x0L;
    private static final long CKA_TOKEN = 0x1L;
    private static final long CKA_LABEL = 0x3L;
    private static final long CKO_SECRET_KEY = 0x4L;
    private static final long CKM_AES_GCM = 0x1087L;
    private static final long CKR_GENERAL_ERROR = 0x5L;
    private static final long CKR_ENCRYPTED_DATA_INVALID = 0x40L;

    private final Object p11;
    private final long slot;
    private final int generation;
    private final ConcurrentLinkedDeque<Long> idleSessions = new ConcurrentLinkedDeque<>();
    // By version number; the label is kept to confirm it (the index keeps its label objects, so a reference check
    // settles it on the hot path). The token-object label is a string built from the version: built once per version.
    private final Map<String, Found> handles = new ConcurrentHashMap<>();

    /** A version's key object as found in the token. */
    private record Found(VersionLabel label, long handle) {
    }

    private DirectGcm(Object p11, long slot, int generation) {
        this.p11 = p11;
        this.slot = slot;
        this.generation = generation;
    }

    /**
     * The direct path for {@code token} as it is open now, proven with {@code version} against the provider's
     * cipher; null when this JDK or launcher does not allow it or any check fails.
     */
    static DirectGcm open(SoftHsmToken token, TokenVersions.Version version) {
        if (Binding.UNAVAILABLE != null) {
            LOG.log(Level.INFO, "the JDK''s PKCS#11 binding is not open to the simulator ({0}); every call sets up"
                    + " through SunPKCS11''s cipher", Binding.UNAVAILABLE);
            return null;
        }
        DirectGcm direct;
        try {
            Object p11 = Binding.GET_INSTANCE.invokeExact(token.libraryPath(), "C_GetFunctionList", (Object) null,
                    true);
            direct = new DirectGcm(p11, token.slotId(), token.generation());
        } catch (Throwable e) {
            LOG.log(Level.INFO, "no direct PKCS#11 access to the token ({0}); every call sets up through"
                    + " SunPKCS11''s cipher", SoftHsmToken.rootMessage(e));
            return null;
        }
        String failed = direct.check(token, version);
        if (failed != null) {
            direct.close();
            LOG.log(Level.INFO, "direct PKCS#11 calls did not match SunPKCS11''s cipher on this JDK ({0}); every"
                    + " call sets up through the cipher", failed);
            return null;
        }
        LOG.log(Level.INFO, "AES-GCM calls reach the token through the JDK's PKCS#11 binding directly: one set-up"
                + " per call");
        return direct;
    }

    /** The token generation this was opened under: after a re-open its sessions and handles are dead. */
    int generation() {
        return generation;
    }

    /** {@code IV || AES-GCM(clear) || tag} under {@code version}'s key object, with {@code aad}. */
    byte[] seal(TokenVersions.Version version, byte[] iv, byte[] aad, byte[] clear) throws GeneralSecurityException {
        long key = handle(version);
        byte[] wrapped = new byte[TokenGcm.IV_BYTES + clear.length + TokenGcm.TAG_BITS / 8];
        System.arraycopy(iv, 0, wrapped, 0, TokenGcm.IV_BYTES);
        long session = takeSession();
        boolean healthy = false;
        try {
            Object mechanism = mechanism(iv, aad);
            Binding.ENCRYPT_INIT.invokeExact(p11, session, mechanism, key, true);
            int length = (int) Binding.ENCRYPT.invokeExact(p11, session, 0L, clear, 0, clear.length, 0L, wrapped,
                    TokenGcm.IV_BYTES, wrapped.length - TokenGcm.IV_BYTES);
            healthy = true;
            return TokenGcm.IV_BYTES + length == wrapped.length ? wrapped
                    : Arrays.copyOf(wrapped, TokenGcm.IV_BYTES + length);
        } catch (Throwable e) {
            throw failure("C_Encrypt", e);
        } finally {
            release(session, healthy);
        }
    }

    /**
     * The clear bytes of {@code wrapped} ({@code IV || ciphertext || tag}) under {@code version}'s key object, with
     * {@code aad}; the caller wipes them.
     *
     * @throws AEADBadTagException when the tag does not match
     */
    byte[] unseal(TokenVersions.Version version, byte[] wrapped, byte[] aad) throws GeneralSecurityException {
        long key = handle(version);
        int length = wrapped.length - TokenGcm.IV_BYTES;
        // SoftHSM wants room for the whole input (it checks before it knows the tag's length)
        byte[] out = new byte[length];
        long session = takeSession();
        boolean healthy = false;
        try {
            Object mechanism = mechanism(Arrays.copyOf(wrapped, TokenGcm.IV_BYTES), aad);
            Binding.DECRYPT_INIT.invokeExact(p11, session, mechanism, key, true);
        } catch (Throwable e) {
            release(session, false);
            throw failure("C_DecryptInit", e);
        }
        try {
            int clearLength = (int) Binding.DECRYPT.invokeExact(p11, session, 0L, wrapped, TokenGcm.IV_BYTES, length,
                    0L, out, 0, out.length);
            healthy = true;
            if (clearLength == out.length) {
                return out;
            }
            byte[] clear = Arrays.copyOf(out, clearLength);
            Arrays.fill(out, (byte) 0);
            return clear;
        } catch (Throwable e) {
            Arrays.fill(out, (byte) 0);
            long code = errorCode(e);
            // A tag that does not match: SoftHSM answers CKR_GENERAL_ERROR (its cipher's final step failed), other
            // libraries CKR_ENCRYPTED_DATA_INVALID; SunPKCS11 reads both as a bad tag too. The operation has ended.
            if (code == CKR_ENCRYPTED_DATA_INVALID || code == CKR_GENERAL_ERROR) {
                healthy = true;
                AEADBadTagException bad = new AEADBadTagException("the tag does not match");
                bad.initCause(e);
                throw bad;
            }
            throw failure("C_Decrypt", e);
        } finally {
            release(session, healthy);
        }
    }

    /** Closes the idle sessions; calls still running close theirs when they end. */
    void close() {
        for (Long session = idleSessions.poll(); session != null; session = idleSessions.poll()) {
            closeSession(session);
        }
    }

    private String check(SoftHsmToken token, TokenVersions.Version version) {
        byte[] iv = new byte[TokenGcm.IV_BYTES];
        byte[] aad = new byte[40];
        byte[] clear = new byte[32];
        RANDOM.nextBytes(iv);
        RANDOM.nextBytes(aad);
        RANDOM.nextBytes(clear);
        TokenGcm cipher = TokenGcm.standard(token.provider());
        try {
            byte[] direct = seal(version, iv, aad, clear);
            byte[] standard = cipher.seal(version.key(), iv, aad, clear);
            if (!Arrays.equals(direct, standard)) {
                return "a value sealed directly differs from the cipher's";
            }
            byte[] opened = unseal(version, standard, aad);
            boolean same = Arrays.equals(opened, clear);
            Arrays.fill(opened, (byte) 0);
            if (!same) {
                return "a value sealed by the cipher did not open directly";
            }
            byte[] otherAad = aad.clone();
            otherAad[0] ^= 1;
            try {
                Arrays.fill(unseal(version, standard, otherAad), (byte) 0);
                return "a wrong AAD was not refused";
            } catch (AEADBadTagException expected) {
                return null;
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            return e.getMessage() + ": " + SoftHsmToken.rootMessage(e);
        } finally {
            cipher.forget();
            Arrays.fill(clear, (byte) 0);
        }
    }

    private static Object mechanism(byte[] iv, byte[] aad) throws Throwable {
        Object parameters = Binding.GCM_PARAMS.invokeExact(TokenGcm.TAG_BITS, iv, aad);
        return (Object) Binding.MECHANISM.invokeExact(CKM_AES_GCM, parameters);
    }

    /** The token object labelled as {@code version}, found once per token generation. */
    private long handle(TokenVersions.Version version) throws GeneralSecurityException {
        VersionLabel versionLabel = version.label();
        String number = version.version().ref().version();
        Found known = handles.get(number);
        if (known != null && (known.label() == versionLabel || known.label().equals(versionLabel))) {
            return known.handle();
        }
        String label = versionLabel.label();
        long session = takeSession();
        boolean healthy = false;
        try {
            Object template = Array.newInstance(Binding.ATTRIBUTE, 3);
            Array.set(template, 0, Binding.ATTRIBUTE_LONG.invokeExact(CKA_CLASS, CKO_SECRET_KEY));
            Array.set(template, 1, Binding.ATTRIBUTE_BOOLEAN.invokeExact(CKA_TOKEN, true));
            Array.set(template, 2, Binding.ATTRIBUTE_OBJECT.invokeExact(CKA_LABEL, (Object) label.toCharArray()));
            Binding.FIND_INIT.invokeExact(p11, session, template);
            long[] found;
            try {
                found = (long[]) Binding.FIND.invokeExact(p11, session, 2L);
            } finally {
                Binding.FIND_FINAL.invokeExact(p11, session);
            }
            healthy = true;
            if (found.length != 1) {
                throw new KmsException.BackendUnavailable("token holds " + found.length + " secret keys labelled "
                        + label + "; expected exactly one");
            }
            handles.put(number, new Found(versionLabel, found[0]));
            return found[0];
        } catch (KmsException e) {
            throw e;
        } catch (Throwable e) {
            throw failure("C_FindObjects", e);
        } finally {
            release(session, healthy);
        }
    }

    private long takeSession() throws GeneralSecurityException {
        Long idle = idleSessions.poll();
        if (idle != null) {
            return idle;
        }
        try {
            return (long) Binding.OPEN_SESSION.invokeExact(p11, slot, CKF_SERIAL_SESSION, (Object) null,
                    (Object) null);
        } catch (Throwable e) {
            throw failure("C_OpenSession", e);
        }
    }

    // A session whose call failed is closed rather than reused: nothing it may still hold leaks into another call.
    private void release(long session, boolean healthy) {
        if (healthy) {
            idleSessions.push(session);
        } else {
            closeSession(session);
        }
    }

    private void closeSession(long session) {
        try {
            Binding.CLOSE_SESSION.invokeExact(p11, session);
        } catch (Throwable e) {
            // already gone with the token's session state; nothing to release
        }
    }

    private static long errorCode(Throwable e) {
        if (!Binding.EXCEPTION.isInstance(e)) {
            return -1;
        }
        try {
            return (long) Binding.ERROR_CODE.invokeExact((Object) e);
        } catch (Throwable unexpected) {
            return -1;
        }
    }

    /** A token failure as the callers expect it: sessionGone() and rootMessage() read the PKCS#11 code from it. */
    private static GeneralSecurityException failure(String call, Throwable e) {
        if (e instanceof Error error) {
            throw error;
        }
        if (e instanceof RuntimeException runtime) {
            throw runtime;
        }
        return new GeneralSecurityException(call + " failed", e);
    }

    /** The wrapper's classes and calls, resolved once; {@link #UNAVAILABLE} says why not when they cannot be. */
    private static final class Binding {
        static final String UNAVAILABLE;
        static final Class<?> ATTRIBUTE;
        static final Class<?> EXCEPTION;
        static final MethodHandle GET_INSTANCE;
        static final MethodHandle OPEN_SESSION;
        static final MethodHandle CLOSE_SESSION;
        static final MethodHandle FIND_INIT;
        static final MethodHandle FIND;
        static final MethodHandle FIND_FINAL;
        static final MethodHandle ENCRYPT_INIT;
        static final MethodHandle ENCRYPT;
        static final MethodHandle DECRYPT_INIT;
        static final MethodHandle DECRYPT;
        static final MethodHandle GCM_PARAMS;
        static final MethodHandle MECHANISM;
        static final MethodHandle ATTRIBUTE_LONG;
        static final MethodHandle ATTRIBUTE_BOOLEAN;
        static final MethodHandle ATTRIBUTE_OBJECT;
        static final MethodHandle ERROR_CODE;

        static {
            String unavailable = null;
            Class<?> attribute = null;
            Class<?> exception = null;
            MethodHandle[] handles = new MethodHandle[16];
            try {
                String pkg = "sun.security.pkcs11.wrapper.";
                ClassLoader loader = ClassLoader.getPlatformClassLoader();
                Class<?> pkcs11 = Class.forName(pkg + "PKCS11", false, loader);
                Class<?> initArgs = Class.forName(pkg + "CK_C_INITIALIZE_ARGS", false, loader);
                Class<?> notify = Class.forName(pkg + "CK_NOTIFY", false, loader);
                Class<?> mechanism = Class.forName(pkg + "CK_MECHANISM", false, loader);
                Class<?> gcmParams = Class.forName(pkg + "CK_GCM_PARAMS", false, loader);
                attribute = Class.forName(pkg + "CK_ATTRIBUTE", false, loader);
                exception = Class.forName(pkg + "PKCS11Exception", false, loader);
                Class<?> attributes = attribute.arrayType();
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                handles[0] = lookup.findStatic(pkcs11, "getInstance", MethodType.methodType(pkcs11, String.class,
                        String.class, initArgs, boolean.class));
                handles[1] = lookup.findVirtual(pkcs11, "C_OpenSession", MethodType.methodType(long.class,
                        long.class, long.class, Object.class, notify));
                handles[2] = lookup.findVirtual(pkcs11, "C_CloseSession", MethodType.methodType(void.class,
                        long.class));
                handles[3] = lookup.findVirtual(pkcs11, "C_FindObjectsInit", MethodType.methodType(void.class,
                        long.class, attributes));
                handles[4] = lookup.findVirtual(pkcs11, "C_FindObjects", MethodType.methodType(long[].class,
                        long.class, long.class));
                handles[5] = lookup.findVirtual(pkcs11, "C_FindObjectsFinal", MethodType.methodType(void.class,
                        long.class));
                handles[6] = lookup.findVirtual(pkcs11, "C_GCMEncryptInitWithRetry", MethodType.methodType(
                        void.class, long.class, mechanism, long.class, boolean.class));
                MethodType crypt = MethodType.methodType(int.class, long.class, long.class, byte[].class, int.class,
                        int.class, long.class, byte[].class, int.class, int.class);
                handles[7] = lookup.findVirtual(pkcs11, "C_Encrypt", crypt);
                handles[8] = lookup.findVirtual(pkcs11, "C_GCMDecryptInitWithRetry", MethodType.methodType(
                        void.class, long.class, mechanism, long.class, boolean.class));
                handles[9] = lookup.findVirtual(pkcs11, "C_Decrypt", crypt);
                handles[10] = lookup.findConstructor(gcmParams, MethodType.methodType(void.class, int.class,
                        byte[].class, byte[].class));
                handles[11] = lookup.findConstructor(mechanism, MethodType.methodType(void.class, long.class,
                        gcmParams));
                handles[12] = lookup.findConstructor(attribute, MethodType.methodType(void.class, long.class,
                        long.class));
                handles[13] = lookup.findConstructor(attribute, MethodType.methodType(void.class, long.class,
                        boolean.class));
                handles[14] = lookup.findConstructor(attribute, MethodType.methodType(void.class, long.class,
                        Object.class));
                handles[15] = lookup.findVirtual(exception, "getErrorCode", MethodType.methodType(long.class));
                // The wrapper's own types become Object, so that callers hold its objects as Object and still use
                // invokeExact; JDK types (String, byte[], long[]) stay.
                for (int i = 0; i < handles.length; i++) {
                    handles[i] = handles[i].asType(opaque(handles[i].type()));
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                Module self = DirectGcm.class.getModule();
                unavailable = e instanceof IllegalAccessException ? "start the plugin through its launcher, which"
                        + " passes --add-exports jdk.crypto.cryptoki/sun.security.pkcs11.wrapper="
                        + (self.isNamed() ? self.getName() : "ALL-UNNAMED") : SoftHsmToken.rootMessage(e);
                Arrays.fill(handles, null);
            }
            UNAVAILABLE = unavailable;
            ATTRIBUTE = attribute;
            EXCEPTION = exception;
            GET_INSTANCE = handles[0];
            OPEN_SESSION = handles[1];
            CLOSE_SESSION = handles[2];
            FIND_INIT = handles[3];
            FIND = handles[4];
            FIND_FINAL = handles[5];
            ENCRYPT_INIT = handles[6];
            ENCRYPT = handles[7];
            DECRYPT_INIT = handles[8];
            DECRYPT = handles[9];
            GCM_PARAMS = handles[10];
            MECHANISM = handles[11];
            ATTRIBUTE_LONG = handles[12];
            ATTRIBUTE_BOOLEAN = handles[13];
            ATTRIBUTE_OBJECT = handles[14];
            ERROR_CODE = handles[15];
        }

        private Binding() {
        }

        private static MethodType opaque(MethodType type) {
            MethodType result = type.changeReturnType(opaque(type.returnType()));
            for (int i = 0; i < type.parameterCount(); i++) {
                result = result.changeParameterType(i, opaque(type.parameterType(i)));
            }
            return result;
        }

        private static Class<?> opaque(Class<?> type) {
            Class<?> element = type.isArray() ? type.getComponentType() : type;
            return element.getName().startsWith("sun.security.pkcs11.") ? Object.class : type;
        }
    }
}
