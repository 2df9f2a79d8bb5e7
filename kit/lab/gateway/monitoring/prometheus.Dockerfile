# The lab's Prometheus: Debian's package (the real one, a newer release than the stack's tag).
ARG BASE
FROM ${BASE}
RUN mkdir -p /prometheus
ENTRYPOINT ["/usr/bin/prometheus"]
CMD ["--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/prometheus"]
