# The lab's Alertmanager: Debian's prometheus-alertmanager package.
ARG BASE
FROM ${BASE}
RUN mkdir -p /alertmanager
ENTRYPOINT ["/usr/bin/prometheus-alertmanager"]
CMD ["--config.file=/alertmanager.yml", "--storage.path=/alertmanager"]
