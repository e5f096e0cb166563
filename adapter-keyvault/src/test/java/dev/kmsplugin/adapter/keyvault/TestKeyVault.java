package dev.kmsplugin.adapter.keyvault;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * A Key Vault on loopback that speaks the REST protocol the SDK uses, over HTTPS with a test-only certificate:
 * the bearer challenge, get key, list versions, update a version's attributes (PATCH, {@code enabled}),
 * wrapkey/unwrapkey/encrypt/decrypt with real RSA, an Entra ID token
 * endpoint (client secret and client assertions), and injected failures (status codes with Retry-After, delays,
 * denied operations, disabled or deleted versions). An optional plain-HTTP listener plays the Go plugin's proxy.
 */
final class TestKeyVault implements AutoCloseable {

    static final String TENANT = "72f988bf-0000-4000-8000-000000000001";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern KEY_PATH = Pattern.compile("^/keys/([^/]+)(?:/([^/]*))?(?:/([a-z]+))?/?$");

    /** One recorded request: what it asked for and which proxy target header it carried. */
    record Request(String method, String path, String operation, String proxyTarget, String prefix) {
    }

    /** A key version: real RSA key material and its attributes. */
    static final class Version {
        final String id;
        final KeyPair pair;
        final long created;
        volatile boolean enabled = true;
        volatile List<String> ops = List.of("wrapKey", "unwrapKey", "encrypt", "decrypt");
        volatile String kty = "RSA";
        // Key Vault's nbf attribute (seconds since the epoch): the version is not valid before it. Null: unset.
        volatile Long notBefore;
        // Key Vault's exp attribute (seconds since the epoch): the version is not valid from then on. Null: unset.
        volatile Long expires;

        Version(String id, KeyPair pair, long created) {
            this.id = id;
            this.pair = pair;
            this.created = created;
        }
    }

    private record Fault(String operation, int status, Map<String, String> headers, long delayMillis) {
    }

    final String audience;
    final String canonicalHost;
    private final HttpsServer https;
    private HttpServer proxy;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-keyvault");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, List<Version>> keys = new ConcurrentHashMap<>();
    private final Set<String> tokens = ConcurrentHashMap.newKeySet();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Fault> faults = new ConcurrentLinkedQueue<>();
    /** Key Vault answers a listing in pages of at most this many items. */
    static final int LIST_PAGE = 25;
    final List<Request> requests = new CopyOnWriteArrayList<>();
    final List<JsonNode> creates = new CopyOnWriteArrayList<>();
    final List<JsonNode> updates = new CopyOnWriteArrayList<>();
    private static final Map<String, String> WIRE_NAMES = Map.of("wrapkey", "wrapKey", "unwrapkey", "unwrapKey",
            "encrypt", "encrypt", "decrypt", "decrypt");
    final Map<String, JsonNode> policies = new ConcurrentHashMap<>();
    final List<Map<String, String>> tokenRequests = new CopyOnWriteArrayList<>();
    private final AtomicLong clock = new AtomicLong(1_700_000_000L);
    private final AtomicInteger tokenCounter = new AtomicInteger();
    volatile String clientSecret = "s3cr3t-value";
    // Creation times from the wall clock (seconds, still strictly increasing) instead of a counter from 2023: for
    // the launcher's tests, whose plugin compares them with the real time.
    volatile boolean wallClock;
    // Entra ID does not know the certificate that signed a client assertion (AADSTS700027).
    volatile boolean rejectAssertions;
    // What the bearer challenge names: null is this vault's own audience; a host impersonating the vault names
    // another resource (e.g. https://management.azure.com) and, optionally, a scope.
    volatile String challengeResource;
    /** When set, a GET of a disabled version answers 403 KeyDisabled instead of 200 with enabled=false. */
    volatile boolean disabledGetRefused;
    volatile String challengeScope;
    /** An outage: every request, Entra ID's included, answers 503. */
    volatile boolean down;
    // Key Vault refuses every token, new ones included (the identity lost access at the tenant, say).
    volatile boolean rejectAllTokens;

    /** @param canonicalHost the vault's real host name, e.g. {@code myvault.vault.azure.net}, used in kids */
    TestKeyVault(String canonicalHost, String audience) throws IOException {
        this.canonicalHost = canonicalHost;
        this.audience = audience;
        https = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        https.setHttpsConfigurator(new HttpsConfigurator(TestTls.get().server));
        https.createContext("/", this::handle);
        https.setExecutor(executor);
        https.start();
    }

    static TestKeyVault vault(String name) throws IOException {
        return new TestKeyVault(name + ".vault.azure.net", "https://vault.azure.net");
    }

    /** {@code https://127.0.0.1:<port>/} */
    String url() {
        return "https://127.0.0.1:" + https.getAddress().getPort() + "/";
    }

    /** Starts a plain-HTTP listener that plays the proxy of --proxy-mode; returns its port. */
    int startProxy() throws IOException {
        proxy = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        proxy.createContext("/", this::handle);
        proxy.setExecutor(executor);
        proxy.start();
        return proxy.getAddress().getPort();
    }

    // --- keys ---------------------------------------------------------------------------------------------------

    // RSA generation dominates the test run (seconds for 3072 bits on a busy machine), so key pairs are made once
    // per JVM and handed out in order: distinct within one vault, shared between vaults of different tests.
    private static final Map<Integer, List<KeyPair>> POOL = new ConcurrentHashMap<>();
    private final Map<Integer, AtomicInteger> taken = new ConcurrentHashMap<>();

    private KeyPair nextPair(int bits) throws java.security.GeneralSecurityException {
        int index = taken.computeIfAbsent(bits, b -> new AtomicInteger()).getAndIncrement();
        List<KeyPair> pool = POOL.computeIfAbsent(bits, b -> new CopyOnWriteArrayList<>());
        synchronized (pool) {
            while (pool.size() <= index) {
                KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
                generator.initialize(bits);
                pool.add(generator.generateKeyPair());
            }
            return pool.get(index);
        }
    }

    synchronized Version createVersion(String name, int bits) {
        try {
            byte[] id = new byte[16];
            new java.security.SecureRandom().nextBytes(id);
            long now = System.currentTimeMillis() / 1000;
            Version version = new Version(HexFormat.of().formatHex(id), nextPair(bits),
                    clock.updateAndGet(c -> wallClock ? Math.max(c + 1, now) : c + 1));
            keys.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(version);
            return version;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    Version version(String name, String id) {
        return keys.getOrDefault(name, List.of()).stream().filter(v -> v.id.equals(id)).findFirst().orElseThrow();
    }

    void delete(String name) {
        keys.remove(name);
    }

    /** Answers 403 Forbidden to every request of this operation (e.g. {@code wrapkey}, {@code get}, {@code update}). */
    void deny(String operation) {
        denied.add(operation);
    }

    void allow(String operation) {
        denied.remove(operation);
    }

    /** The next request of {@code operation} gets {@code status} with these headers. */
    void failNext(String operation, int status, Map<String, String> headers, int times) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(operation, status, headers, 0));
        }
    }

    /** The next request of {@code operation} waits this long before it is answered normally. */
    void delayNext(String operation, long millis, int times) {
        for (int i = 0; i < times; i++) {
            faults.add(new Fault(operation, 0, Map.of(), millis));
        }
    }

    /** Key Vault stops accepting every token issued so far (revoked, or a key rollover at Entra ID). */
    void revokeTokens() {
        tokens.clear();
    }

    /** The scopes (or managed-identity resources) the token endpoints were asked for, in order. */
    List<String> tokenAudiences() {
        List<String> audiences = new ArrayList<>();
        // MSAL adds the OpenID Connect scopes to every request; they name no resource.
        tokenRequests.forEach(r -> audiences.add(r.containsKey("scope")
                ? r.get("scope").replaceAll("\\b(openid|profile|offline_access)\\s+", "").trim()
                : r.get("resource")));
        return audiences;
    }

    void clearFaults() {
        faults.clear();
    }

    /** The version's private key as PKCS#8 PEM, for checking its ciphertexts with another RSA implementation. */
    static String privateKeyPem(Version v) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(v.pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    long count(String operation) {
        return requests.stream().filter(r -> r.operation().equals(operation)).count();
    }

    /** Encrypts as Key Vault's encrypt operation does; the Go plugin stored the base64url text of this. */
    byte[] encrypt(String name, String version, String alg, byte[] plaintext) throws Exception {
        Cipher cipher = cipher(alg, Cipher.ENCRYPT_MODE, version(name, version));
        return cipher.doFinal(plaintext);
    }

    // --- protocol -----------------------------------------------------------------------------------------------

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getPath();
            String prefix = "";
            // Proxy mode: /<vault host>/keys/... carries the real vault host as the first segment.
            if (path.startsWith("/" + canonicalHost + "/")) {
                prefix = canonicalHost;
                path = path.substring(canonicalHost.length() + 1);
            }
            String target = exchange.getRequestHeaders().getFirst("x-azure-proxy-target");
            byte[] body = exchange.getRequestBody().readAllBytes();
            if (down) {
                record(exchange, path, "down", target, prefix);
                send(exchange, 503, error("ServiceUnavailable", "the vault is down (test outage)"), Map.of());
                return;
            }
            if (path.endsWith("/oauth2/v2.0/token")) {
                record(exchange, path, "token", target, prefix);
                if (applyFault("token", exchange)) {
                    return;
                }
                token(exchange, path, body);
                return;
            }
            if (path.equals("/metadata/identity/oauth2/token")) {
                record(exchange, path, "imds", target, prefix);
                imds(exchange);
                return;
            }
            if (path.contains("/discovery/instance") || path.contains("/.well-known/openid-configuration")) {
                record(exchange, path, "discovery", target, prefix);
                discovery(exchange, path);
                return;
            }
            Matcher m = KEY_PATH.matcher(path);
            if (!m.matches()) {
                record(exchange, path, "unknown", target, prefix);
                send(exchange, 404, error("NotFound", "no such path " + path), Map.of());
                return;
            }
            String name = m.group(1);
            String version = m.group(2) == null ? "" : m.group(2);
            String action = m.group(3);
            String operation;
            if ("versions".equals(version) && action == null) {
                operation = "versions";
            } else if ("create".equals(version) && action == null) {
                operation = "create";
            } else if ("rotationpolicy".equals(version) && action == null) {
                operation = exchange.getRequestMethod().equals("PUT") ? "setpolicy" : "getpolicy";
            } else if (action == null && exchange.getRequestMethod().equals("PATCH")) {
                operation = "update";
            } else if (action == null) {
                operation = "get";
            } else {
                operation = action;
            }
            record(exchange, path, operation, target, prefix);
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (auth == null || !auth.startsWith("Bearer ") || !tokens.contains(auth.substring(7))
                    || rejectAllTokens) {
                // Key Vault's challenge: where to get a token and for which resource.
                String resource = challengeResource == null ? audience : challengeResource;
                String scope = challengeScope == null ? "" : ", scope=\"" + challengeScope + "\"";
                send(exchange, 401, error("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token."),
                        Map.of("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/"
                                + TENANT + "\", resource=\"" + resource + "\"" + scope));
                return;
            }
            if (applyFault(operation, exchange)) {
                return;
            }
            if (denied.contains(operation)) {
                send(exchange, 403, error("Forbidden", "Caller is not authorized to perform action on resource. "
                        + "Action: '" + operation + "'"), Map.of());
                return;
            }
            if (operation.equals("create")) {
                create(exchange, name, body);
                return;
            }
            if (operation.equals("setpolicy")) {
                policies.put(name, JSON.readTree(body));
                send(exchange, 200, JSON.readTree(body), Map.of());
                return;
            }
            List<Version> versions = keys.get(name);
            if (versions == null || versions.isEmpty()) {
                send(exchange, 404, error("KeyNotFound", "A key with (name/id) " + name + " was not found in this "
                        + "key vault."), Map.of());
                return;
            }
            switch (operation) {
                case "versions" -> listVersions(exchange, name, versions, prefix);
                case "get" -> {
                    Version v = version.isEmpty() ? versions.get(versions.size() - 1) : find(versions, version);
                    if (v == null) {
                        send(exchange, 404, error("KeyNotFound", "A key with (name/id) " + name + "/" + version
                                + " was not found in this key vault."), Map.of());
                        return;
                    }
                    if (!v.enabled && disabledGetRefused) {
                        // what some Key Vault and Managed HSM answers give for a GET of a disabled version
                        ObjectNode refused = error("Forbidden", "Operation get is not allowed on a disabled key.");
                        ((ObjectNode) refused.path("error")).putObject("innererror").put("code", "KeyDisabled");
                        send(exchange, 403, refused, Map.of());
                        return;
                    }
                    send(exchange, 200, keyBundle(name, v), Map.of());
                }
                case "update" -> update(exchange, name, find(versions, version), body);
                case "wrapkey", "unwrapkey", "encrypt", "decrypt" -> crypto(exchange, name, find(versions, version),
                        operation, body);
                default -> send(exchange, 400, error("BadParameter", "unknown operation " + operation), Map.of());
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }

    private void record(HttpExchange exchange, String path, String operation, String target, String prefix) {
        requests.add(new Request(exchange.getRequestMethod(), path, operation, target, prefix));
    }

    private boolean applyFault(String operation, HttpExchange exchange) throws IOException, InterruptedException {
        for (Fault fault : faults) {
            if (fault.operation().equals(operation) && faults.remove(fault)) {
                if (fault.delayMillis() > 0) {
                    Thread.sleep(fault.delayMillis());
                    return false;
                }
                send(exchange, fault.status(), error(fault.status() == 429 ? "Throttled" : "ServiceUnavailable",
                        "injected " + fault.status()), fault.headers());
                return true;
            }
        }
        return false;
    }

    private static Version find(List<Version> versions, String id) {
        return versions.stream().filter(v -> v.id.equals(id)).findFirst().orElse(null);
    }

    // POST /keys/{name}/create: a new key, or a new version of an existing one, with what the body asks for.
    private void create(HttpExchange exchange, String name, byte[] body) throws IOException {
        JsonNode request = JSON.readTree(body);
        creates.add(request);
        String kty = request.path("kty").asText();
        if (!kty.equals("RSA") && !kty.equals("RSA-HSM")) {
            send(exchange, 400, error("BadParameter", "unsupported kty " + kty), Map.of());
            return;
        }
        Version v = createVersion(name, request.path("key_size").asInt(2048));
        v.kty = kty;
        List<String> ops = new ArrayList<>();
        request.path("key_ops").forEach(op -> ops.add(op.asText()));
        if (!ops.isEmpty()) {
            v.ops = ops;
        }
        send(exchange, 200, keyBundle(name, v), Map.of());
    }

    // PATCH /keys/{name}/{version}: update key properties; only "enabled" of the attributes is honoured here.
    // Allowed on a disabled version (that is how it is enabled again); answers the key bundle as Key Vault does.
    private void update(HttpExchange exchange, String name, Version v, byte[] body) throws IOException {
        if (v == null) {
            send(exchange, 404, error("KeyNotFound", "A key with (name/id) " + name + " was not found in this "
                    + "key vault."), Map.of());
            return;
        }
        updates.add(body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body));
        JsonNode enabled = updates.get(updates.size() - 1).path("attributes").path("enabled");
        if (enabled.isBoolean()) {
            v.enabled = enabled.asBoolean();
        }
        send(exchange, 200, keyBundle(name, v), Map.of());
    }

    // Key Vault's listing pages: at most 25 items (maxresults may ask for fewer), then a nextLink to the rest. The
    // link is absolute, to this server (or, in proxy mode, to the vault's own host, which the proxy client rewrites).
    private void listVersions(HttpExchange exchange, String name, List<Version> versions, String prefix)
            throws IOException {
        Map<String, String> query = formFields(exchange.getRequestURI().getRawQuery());
        int pageSize = Math.min(LIST_PAGE, Integer.parseInt(query.getOrDefault("maxresults", "" + LIST_PAGE)));
        int from = Integer.parseInt(query.getOrDefault("$skiptoken", "0"));
        ObjectNode page = JSON.createObjectNode();
        ArrayNode value = page.putArray("value");
        List<Version> snapshot = List.copyOf(versions);
        int to = Math.min(snapshot.size(), from + pageSize);
        for (Version v : snapshot.subList(Math.min(from, to), to)) {
            ObjectNode item = value.addObject();
            item.put("kid", kid(name, v));
            item.set("attributes", attributes(v));
        }
        if (to < snapshot.size()) {
            String base = prefix.isEmpty() ? url() : "https://" + canonicalHost + "/";
            page.put("nextLink", base + "keys/" + name + "/versions?api-version=" + query.get("api-version")
                    + "&maxresults=" + pageSize + "&$skiptoken=" + to);
        } else {
            page.putNull("nextLink");
        }
        send(exchange, 200, page, Map.of());
    }

    // application/x-www-form-urlencoded fields, as a query string or a token request's body carries them; in order.
    private static Map<String, String> formFields(String raw) {
        Map<String, String> params = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
                            URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
                }
            }
        }
        return params;
    }

    private void crypto(HttpExchange exchange, String name, Version v, String operation, byte[] body)
            throws Exception {
        if (v == null) {
            send(exchange, 404, error("KeyNotFound", "A key with (name/id) " + name + " was not found"), Map.of());
            return;
        }
        if (!v.enabled) {
            // Key Vault's answer: 403, "Operation unwrapKey is not allowed on a disabled key.", inner code KeyDisabled.
            ObjectNode refused = error("Forbidden", "Operation " + WIRE_NAMES.getOrDefault(operation, operation)
                    + " is not allowed on a disabled key.");
            ((ObjectNode) refused.path("error")).putObject("innererror").put("code", "KeyDisabled");
            send(exchange, 403, refused, Map.of());
            return;
        }
        JsonNode request = JSON.readTree(body);
        String alg = request.path("alg").asText();
        byte[] input = Base64.getUrlDecoder().decode(request.path("value").asText());
        boolean forward = operation.equals("wrapkey") || operation.equals("encrypt");
        byte[] output;
        try {
            output = cipher(alg, forward ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE, v).doFinal(input);
        } catch (java.security.GeneralSecurityException e) {
            send(exchange, 400, error("BadParameter", "The parameter is incorrect."), Map.of());
            return;
        }
        ObjectNode result = JSON.createObjectNode();
        result.put("kid", kid(name, v));
        result.put("value", Base64.getUrlEncoder().withoutPadding().encodeToString(output));
        send(exchange, 200, result, Map.of());
    }

    private static Cipher cipher(String alg, int mode, Version v) throws Exception {
        Cipher cipher;
        java.security.Key key = mode == Cipher.ENCRYPT_MODE ? v.pair.getPublic() : v.pair.getPrivate();
        switch (alg) {
            case "RSA-OAEP-256" -> {
                cipher = Cipher.getInstance("RSA/ECB/OAEPPadding");
                cipher.init(mode, key, new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
                        PSource.PSpecified.DEFAULT));
            }
            case "RSA-OAEP" -> {
                cipher = Cipher.getInstance("RSA/ECB/OAEPWithSHA-1AndMGF1Padding");
                cipher.init(mode, key);
            }
            case "RSA1_5" -> {
                cipher = Cipher.getInstance("RSA/ECB/PKCS1Padding");
                cipher.init(mode, key);
            }
            default -> throw new java.security.InvalidKeyException("unsupported alg " + alg);
        }
        return cipher;
    }

    private String kid(String name, Version v) {
        return "https://" + canonicalHost + "/keys/" + name + "/" + v.id;
    }

    private ObjectNode keyBundle(String name, Version v) {
        RSAPublicKey pub = (RSAPublicKey) v.pair.getPublic();
        ObjectNode bundle = JSON.createObjectNode();
        ObjectNode key = bundle.putObject("key");
        key.put("kid", kid(name, v));
        key.put("kty", v.kty);
        ArrayNode ops = key.putArray("key_ops");
        v.ops.forEach(ops::add);
        key.put("n", b64(unsigned(pub.getModulus())));
        key.put("e", b64(unsigned(pub.getPublicExponent())));
        bundle.set("attributes", attributes(v));
        return bundle;
    }

    private static ObjectNode attributes(Version v) {
        ObjectNode attributes = JSON.createObjectNode();
        attributes.put("enabled", v.enabled);
        attributes.put("created", v.created);
        if (v.notBefore != null) {
            attributes.put("nbf", v.notBefore);
        }
        if (v.expires != null) {
            attributes.put("exp", v.expires);
        }
        attributes.put("updated", v.created);
        attributes.put("recoveryLevel", "Recoverable+Purgeable");
        return attributes;
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private void token(HttpExchange exchange, String path, byte[] body) throws IOException {
        Map<String, String> form = formFields(new String(body, StandardCharsets.UTF_8));
        form.put("path", path);
        tokenRequests.add(form);
        boolean secretOk = form.containsKey("client_secret") && form.get("client_secret").equals(clientSecret);
        boolean assertion = form.containsKey("client_assertion");
        if (!secretOk && !assertion) {
            send(exchange, 401, JSON.createObjectNode().put("error", "invalid_client")
                    .put("error_description", "AADSTS7000215: Invalid client secret provided."), Map.of());
            return;
        }
        if (assertion && rejectAssertions) {
            send(exchange, 401, JSON.createObjectNode().put("error", "invalid_client")
                    .put("error_description", "AADSTS700027: Client assertion contains an invalid signature. "
                            + "[Reason - The key was not found.]"), Map.of());
            return;
        }
        String token = "test-token-" + tokenCounter.incrementAndGet();
        tokens.add(token);
        ObjectNode answer = JSON.createObjectNode();
        answer.put("token_type", "Bearer");
        answer.put("expires_in", 3599);
        answer.put("ext_expires_in", 3599);
        answer.put("access_token", token);
        send(exchange, 200, answer, Map.of());
    }

    // The instance metadata service's token endpoint, as managed identities reach it.
    private void imds(HttpExchange exchange) throws IOException {
        Map<String, String> query = formFields(exchange.getRequestURI().getRawQuery());
        query.put("path", "imds");
        query.put("metadata", String.valueOf(exchange.getRequestHeaders().getFirst("Metadata")));
        tokenRequests.add(query);
        if (!"true".equals(exchange.getRequestHeaders().getFirst("Metadata"))) {
            send(exchange, 400, JSON.createObjectNode().put("error", "invalid_request"), Map.of());
            return;
        }
        String token = "imds-token-" + tokenCounter.incrementAndGet();
        tokens.add(token);
        long now = System.currentTimeMillis() / 1000;
        ObjectNode answer = JSON.createObjectNode();
        answer.put("access_token", token);
        answer.put("expires_in", "3599");
        answer.put("expires_on", String.valueOf(now + 3599));
        answer.put("not_before", String.valueOf(now));
        answer.put("resource", query.getOrDefault("resource", ""));
        answer.put("token_type", "Bearer");
        send(exchange, 200, answer, Map.of());
    }

    private void discovery(HttpExchange exchange, String path) throws IOException {
        String host = exchange.getRequestHeaders().getFirst("Host");
        String base = (proxy != null && exchange.getLocalAddress().getPort() == proxy.getAddress().getPort()
                ? "https://login.microsoftonline.com" : "https://" + host);
        ObjectNode answer = JSON.createObjectNode();
        if (path.contains("discovery/instance")) {
            answer.put("tenant_discovery_endpoint", base + "/" + TENANT + "/v2.0/.well-known/openid-configuration");
            answer.put("api-version", "1.1");
            ArrayNode metadata = answer.putArray("metadata");
            ObjectNode entry = metadata.addObject();
            entry.put("preferred_network", "login.microsoftonline.com");
            entry.put("preferred_cache", "login.windows.net");
            entry.putArray("aliases").add("login.microsoftonline.com").add("login.windows.net");
        } else {
            answer.put("token_endpoint", base + "/" + TENANT + "/oauth2/v2.0/token");
            answer.put("authorization_endpoint", base + "/" + TENANT + "/oauth2/v2.0/authorize");
            answer.put("issuer", base + "/" + TENANT + "/v2.0");
        }
        send(exchange, 200, answer, Map.of());
    }

    private static ObjectNode error(String code, String message) {
        ObjectNode root = JSON.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("code", code);
        error.put("message", message);
        return root;
    }

    private static void send(HttpExchange exchange, int status, JsonNode body, Map<String, String> headers)
            throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.getResponseHeaders().set("x-ms-request-id", java.util.UUID.randomUUID().toString());
        headers.forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    List<String> paths() {
        List<String> paths = new ArrayList<>();
        requests.forEach(r -> paths.add(r.method() + " " + r.path()));
        return paths;
    }

    @Override
    public void close() {
        https.stop(0);
        if (proxy != null) {
            proxy.stop(0);
        }
        executor.shutdownNow();
    }
}
