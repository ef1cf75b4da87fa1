"""The TagRead contract, the Kafka publisher, the consumer pipeline, smoothing, DLQ."""
