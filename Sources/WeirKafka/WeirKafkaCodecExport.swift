// The codec is part of what this library offers: its users (the `weir` executable, the
// tests) see the API types through `import WeirKafka`.
@_exported public import WeirKafkaCodec
