package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.domain.failure.KmsException;
import dev.kmsplugin.ports.spi.Settings;
import dev.kmsplugin.ports.spi.SettingsCheck;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may connect to the socket, and how many connections the plugin keeps ({@code kms.grpc} in reference.conf).
 *
 * @param maxConnections      connections kept open at once; more are closed as soon as they are accepted
 * @param maxConnectionIdle   a connection without a call for this long is closed (the apiserver reconnects)
 * @param allowAbstractSocket whether {@code unix:///@name} may be served (every local process can reach it)
 * @param allowedPeerUids     uids (SO_PEERCRED) that may connect; empty admits anyone the socket mode admits
 * @param maxStreams          calls (HTTP/2 streams) open at once on one connection; the client waits for more
 * @param requestReadTimeout  how long a call may take, from its first frame, to deliver its whole request; a call
 *                            whose request is still incomplete then is ended with DEADLINE_EXCEEDED
 */
public record PeerPolicy(int maxConnections, Duration maxConnectionIdle, boolean allowAbstractSocket,
        Set<Integer> allowedPeerUids, int maxStreams, Duration requestReadTimeout) {

    static final int MAX_CONNECTIONS_CEILING = 65536;
    static final int MAX_STREAMS_CEILING = 1024;

    public PeerPolicy {
        allowedPeerUids = Set.copyOf(allowedPeerUids);
    }

    /** The policy from the transport's settings; its problems go to {@code check} (null when there were any). */
    static PeerPolicy from(SettingsCheck check) {
        Settings settings = check.settings();
        Integer max = check.attempt(() -> settings.integer("max-connections"));
        if (max != null && (max < 1 || max > MAX_CONNECTIONS_CEILING)) {
            check.problem(check.path("max-connections") + " is " + max + "; choose 1 to " + MAX_CONNECTIONS_CEILING
                    + " (set it with " + check.flag("max-connections") + ")");
        }
        Duration idle = check.attempt(() -> settings.duration("max-connection-idle"));
        if (idle != null && idle.compareTo(Duration.ofSeconds(1)) < 0) {
            check.problem(check.path("max-connection-idle") + " is " + idle + "; choose at least 1s");
        }
        Boolean allowAbstract = check.attempt(
                () -> settings.bool("allow-abstract-socket"));
        Set<Integer> uids = check.attempt(
                () -> parseUids(settings.strings("allowed-peer-uids")));
        Integer streams = check.attempt(() -> settings.integer("max-streams-per-connection"));
        if (streams != null && (streams < 1 || streams > MAX_STREAMS_CEILING)) {
            check.problem(check.path("max-streams-per-connection") + " is " + streams + "; choose 1 to "
                    + MAX_STREAMS_CEILING + " (set it with " + check.flag("max-streams-per-connection") + ")");
        }
        Duration read = check.attempt(() -> settings.duration("request-read-timeout"));
        if (read != null && (read.compareTo(Duration.ofMillis(100)) < 0 || read.compareTo(Duration.ofMinutes(5)) > 0)) {
            check.problem(check.path("request-read-timeout") + " is " + read + "; choose 100ms to 5m (set it with "
                    + check.flag("request-read-timeout") + ")");
        }
        if (check.failed()) {
            return null;
        }
        return new PeerPolicy(max, idle, allowAbstract, uids, streams, read);
    }

    static Set<Integer> parseUids(List<String> values) {
        Set<Integer> uids = new TreeSet<>();
        for (String value : values) {
            for (String part : value.split(",")) {
                String uid = part.trim();
                if (uid.isEmpty()) {
                    continue;
                }
                if (!uid.matches("[0-9]{1,10}") || Long.parseLong(uid) > Integer.MAX_VALUE) {
                    throw new KmsException.Misconfigured("kms.grpc.allowed-peer-uids has '" + uid
                            + "'; list numeric uids, as --allowed-peer-uids=0,1000");
                }
                uids.add(Integer.parseInt(uid));
            }
        }
        return uids;
    }

    /** Whether a peer with {@code uid} may connect. */
    public boolean admits(int uid) {
        return allowedPeerUids.isEmpty() || allowedPeerUids.contains(uid);
    }
}
