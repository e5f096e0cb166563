package dev.kmsplugin.adapter.keyvault;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import java.net.MalformedURLException;
import java.net.URL;
import reactor.core.publisher.Mono;

/**
 * Proxy mode, as the Go plugin does it: Key Vault requests go to {@code http://<addr>:<port>/<vault host>/...}
 * and Entra ID requests to {@code http://<addr>:<port>/...}, each with {@code x-azure-proxy-target} naming the
 * real destination. Rewriting happens below the SDK's pipeline, so the bearer policy still sees the https vault
 * URL it insists on, and the token audience stays the real one.
 */
final class ProxyModeHttpClient implements HttpClient {

    static final HttpHeaderName TARGET = HttpHeaderName.fromString("x-azure-proxy-target");

    private final HttpClient delegate;
    private final String proxyBase;
    private final String vaultHost;
    private final String authorityHost;

    ProxyModeHttpClient(HttpClient delegate, String address, int port, String vaultUrl, String authorityUrl) {
        this.delegate = delegate;
        this.proxyBase = "http://" + address + ":" + port;
        this.vaultHost = host(vaultUrl);
        this.authorityHost = host(authorityUrl);
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request) {
        return delegate.send(rewrite(request));
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return delegate.send(rewrite(request), context);
    }

    @Override
    public HttpResponse sendSync(HttpRequest request, Context context) {
        return delegate.sendSync(rewrite(request), context);
    }

    // A copy: the SDK's policies look at the original request again (the bearer challenge checks its host).
    HttpRequest rewrite(HttpRequest request) {
        URL url = request.getUrl();
        String host = url.getHost();
        String rest = url.getFile(); // path and query
        if (host.equalsIgnoreCase(vaultHost)) {
            return request.copy().setUrl(proxyBase + "/" + host + rest).setHeader(TARGET, "KeyVault");
        }
        if (host.equalsIgnoreCase(authorityHost)) {
            return request.copy().setUrl(proxyBase + rest).setHeader(TARGET, "AzureActiveDirectory");
        }
        return request;
    }

    private static String host(String url) {
        try {
            return new URL(url).getHost();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("not a URL: " + url, e);
        }
    }
}
