/** The gRPC transport: kube-apiserver's KMS v1beta1 and v2 services on a unix domain socket. Exports nothing. */
module dev.kmsplugin.adapter.grpc {
    // depends on
    requires dev.kmsplugin.ports;

    // provides
    provides dev.kmsplugin.ports.spi.TransportProvider with dev.kmsplugin.adapter.grpc.GrpcTransportProvider;
}
