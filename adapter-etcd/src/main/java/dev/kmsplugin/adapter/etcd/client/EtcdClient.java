package dev.kmsplugin.adapter.etcd.client;

import com.google.protobuf.ByteString;
import dev.kmsplugin.adapter.etcd.client.proto.KVGrpc;
import dev.kmsplugin.adapter.etcd.client.proto.KeyValue;
import dev.kmsplugin.adapter.etcd.client.proto.RangeRequest;
import dev.kmsplugin.adapter.etcd.client.proto.RangeResponse;
import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.domain.failure.Messages;
import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * A read-only etcd v3 client for the storage audit: reads every key under a prefix page by page at one pinned
 * revision, holding at most one page in memory.
 *
 * <p>{@link #connect} tries the endpoints in order and keeps the first that answers. Failures come out as
 * {@link KmsException}s: {@link KmsException.Misconfigured} for what the operator's flags decide (TLS refused either
 * way, etcd's permission checks), {@link KmsException.BackendUnavailable} for what may pass on a rerun (etcd
 * unreachable, a revision compacted under the scan). One scan at a time: an instance is not for concurrent use.
 */
public final class EtcdClient implements AutoCloseable {

    /** Receives each key and value of a scan, in key order. The arrays are the receiver's to keep or drop. */
    @FunctionalInterface
    public interface EntrySink {
        void accept(byte[] key, byte[] value);
    }

    private record Endpoint(URI uri, ManagedChannel channel, KVGrpc.KVBlockingStub stub) {
    }

    private final EtcdSettings settings;
    private final List<Endpoint> endpoints;
    private int active;
    private long scanned;

    private EtcdClient(EtcdSettings settings, List<Endpoint> endpoints) {
        this.settings = settings;
        this.endpoints = endpoints;
    }

    /** Opens channels to every endpoint and keeps the first that answers within the dial timeout. */
    public static EtcdClient connect(EtcdSettings settings) {
        return connect(settings, EtcdChannels.MAX_INBOUND_BYTES);
    }

    static EtcdClient connect(EtcdSettings settings, int maxInboundBytes) {
        Objects.requireNonNull(settings, "settings");
        ChannelCredentials tls = EtcdChannels.tls(settings);
        List<Endpoint> endpoints = new ArrayList<>();
        for (URI uri : settings.endpoints()) {
            ManagedChannel channel = EtcdChannels.open(uri, tls, maxInboundBytes);
            endpoints.add(new Endpoint(uri, channel, KVGrpc.newBlockingStub(channel)));
        }
        EtcdClient client = new EtcdClient(settings, List.copyOf(endpoints));
        try {
            client.dial();
            return client;
        } catch (RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /**
     * Hands every key with {@code prefix} and its value to {@code sink}, in key order, as the store was at the
     * revision of the first page; keys written later are not seen. Pages hold up to {@code pageLimit} keys, fewer
     * while a page would exceed the inbound message limit.
     *
     * @return the revision the scan read at
     */
    public long scan(byte[] prefix, int pageLimit, EntrySink sink) {
        Objects.requireNonNull(prefix, "prefix");
        Objects.requireNonNull(sink, "sink");
        if (pageLimit < 1) {
            throw new IllegalArgumentException("pageLimit must be at least 1, not " + pageLimit);
        }
        ByteString end = ByteString.copyFrom(prefixEnd(prefix));
        ByteString start = prefix.length == 0 ? ByteString.copyFrom(new byte[] {0}) : ByteString.copyFrom(prefix);
        long pinned = 0;
        int limit = pageLimit;
        while (true) {
            RangeResponse page = null;
            while (page == null) {
                // Sort order stays NONE: etcd returns a range in key order anyway, and with any explicit sort etcd
                // 3.4 reads the whole range into memory before cutting it to the limit.
                RangeRequest request = RangeRequest.newBuilder()
                        .setKey(start)
                        .setRangeEnd(end)
                        .setLimit(limit)
                        .setRevision(pinned)
                        .setSerializable(false)
                        .build();
                try {
                    page = range(request);
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED) {
                        throw EtcdErrors.failure(e, endpoint(), settings, prefix, pinned);
                    }
                    if (limit == 1) {
                        throw new KmsException.BackendUnavailable(Messages.oneLine("etcd's value at or after key '"
                                + EtcdErrors.printable(start) + "' does not fit in one response even alone ("
                                + e.getStatus().getDescription() + "); the audit cannot read it"));
                    }
                    limit = Math.max(1, limit / 2);
                }
            }
            if (pinned == 0) {
                pinned = page.getHeader().getRevision();
            }
            ByteString last = null;
            for (KeyValue kv : page.getKvsList()) {
                sink.accept(kv.getKey().toByteArray(), kv.getValue().toByteArray());
                scanned++;
                last = kv.getKey();
            }
            if (!page.getMore() || last == null) {
                return pinned;
            }
            start = last.concat(ByteString.copyFrom(new byte[] {0}));
            limit = (int) Math.min(pageLimit, limit * 2L);
        }
    }

    /** How many entries this client has handed to sinks, over all scans. */
    public long scanned() {
        return scanned;
    }

    /** The endpoint in use. */
    public URI endpoint() {
        return endpoints.get(active).uri();
    }

    @Override
    public void close() {
        for (Endpoint endpoint : endpoints) {
            endpoint.channel().shutdownNow();
        }
        for (Endpoint endpoint : endpoints) {
            try {
                endpoint.channel().awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * The key after every key with {@code prefix}: the prefix with its last byte below 0xff incremented and the
     * rest cut off; {0} (no upper bound) for an empty or all-0xff prefix. etcd's own "prefix" convention.
     */
    static byte[] prefixEnd(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xff) {
                byte[] end = Arrays.copyOf(prefix, i + 1);
                end[i]++;
                return end;
            }
        }
        return new byte[] {0};
    }

    /** Finds the first endpoint that answers a small serializable read within the dial timeout. */
    private void dial() {
        List<String> tried = new ArrayList<>();
        StatusRuntimeException tlsFailure = null;
        URI tlsEndpoint = null;
        RangeRequest probe = RangeRequest.newBuilder()
                .setKey(ByteString.copyFrom(new byte[] {0}))
                .setCountOnly(true)
                .setSerializable(true)
                .build();
        for (int i = 0; i < endpoints.size(); i++) {
            Endpoint endpoint = endpoints.get(i);
            try {
                endpoint.stub()
                        .withDeadlineAfter(settings.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .range(probe);
                active = i;
                return;
            } catch (StatusRuntimeException e) {
                Status.Code code = e.getStatus().getCode();
                if (code != Status.Code.UNAVAILABLE && code != Status.Code.DEADLINE_EXCEEDED) {
                    active = i; // it answered; the scan reports what it said, with the range it asked for
                    return;
                }
                if (EtcdErrors.isTls(e) && tlsFailure == null) {
                    tlsFailure = e;
                    tlsEndpoint = endpoint.uri();
                }
                tried.add(endpoint.uri() + " (" + EtcdErrors.reason(e) + ")");
            }
        }
        if (tlsFailure != null) {
            throw EtcdErrors.tlsRefused(tlsEndpoint, tlsFailure);
        }
        throw new KmsException.BackendUnavailable(Messages.oneLine("etcd is not reachable; tried "
                + String.join(", ", tried) + "; check " + EtcdSettings.ENDPOINTS_FLAG
                + " and that etcd is running"));
    }

    /** One Range on the active endpoint; if it is unreachable, on the others in order. */
    private RangeResponse range(RangeRequest request) {
        StatusRuntimeException first = null;
        for (int offset = 0; offset < endpoints.size(); offset++) {
            int index = (active + offset) % endpoints.size();
            try {
                RangeResponse response = endpoints.get(index).stub()
                        .withDeadlineAfter(settings.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .range(request);
                active = index;
                return response;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.UNAVAILABLE || EtcdErrors.isTls(e)) {
                    throw e;
                }
                if (first == null) {
                    first = e;
                }
            }
        }
        throw first;
    }
}
