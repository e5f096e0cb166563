/**
 * The gRPC transport: kube-apiserver's KMS v1beta1 and v2 services on a unix domain socket, and the operator's
 * {@code client} command that calls them. Generated wire classes live here and nowhere else. Exports nothing.
 */
module dev.kmsplugin.adapter.grpc {
    // depends on
    requires dev.kmsplugin.ports;
    requires com.google.protobuf;
    requires io.grpc;
    requires io.grpc.stub;
    requires io.grpc.protobuf;
    requires io.grpc.netty.shaded; // Netty with its epoll natives, relocated
    requires com.google.common;    // the generated future stubs name ListenableFuture
    // Guava ships as an automatic module and so cannot say that it needs failureaccess, an explicit module that
    // the module path would otherwise leave unresolved (NoClassDefFoundError on the first blocking call).
    requires com.google.common.util.concurrent.internal;

    // provides
    provides dev.kmsplugin.ports.spi.TransportProvider with dev.kmsplugin.adapter.grpc.GrpcTransportProvider;
}
