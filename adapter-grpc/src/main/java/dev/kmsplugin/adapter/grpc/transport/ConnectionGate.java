package dev.kmsplugin.adapter.grpc.transport;

import dev.kmsplugin.adapter.grpc.kms.RateLimitedLog;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import java.io.IOException;
import java.lang.System.Logger;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Sits on the listening socket's pipeline, before Netty hands an accepted connection to gRPC: a connection beyond
 * {@link PeerPolicy#maxConnections()} or from a peer uid the policy does not admit (SO_PEERCRED) is closed at once,
 * before gRPC allocates anything for it. Refusals are counted and logged at most once per ten seconds.
 */
@ChannelHandler.Sharable
final class ConnectionGate extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = System.getLogger(ConnectionGate.class.getName());

    private final PeerPolicy policy;
    private final AtomicInteger open = new AtomicInteger();
    private final RateLimitedLog overLimit = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
    private final RateLimitedLog strangers = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

    ConnectionGate(PeerPolicy policy) {
        this.policy = policy;
    }

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        Channel child = (Channel) message;
        if (!policy.allowedPeerUids().isEmpty()) {
            int uid = peerUid(child);
            if (!policy.admits(uid)) {
                child.unsafe().closeForcibly();
                strangers.note(count -> "closed " + count + " connection(s) from peer uids not in"
                        + " --allowed-peer-uids (last: uid " + uid + ")");
                return;
            }
        }
        if (open.incrementAndGet() > policy.maxConnections()) {
            open.decrementAndGet();
            child.unsafe().closeForcibly();
            overLimit.note(count -> "closed " + count + " connection(s) beyond --max-connections="
                    + policy.maxConnections() + " (a client opening many connections; the apiserver needs one)");
            return;
        }
        child.closeFuture().addListener(closed -> open.decrementAndGet());
        context.fireChannelRead(child);
    }

    /** Connections currently open. */
    int open() {
        return open.get();
    }

    private static int peerUid(Channel child) {
        try {
            return ((EpollDomainSocketChannel) child).peerCredentials().uid();
        } catch (IOException | ClassCastException e) {
            return -1; // unknown peers are never on the list
        }
    }
}
