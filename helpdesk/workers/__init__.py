"""Supervision of the django-q2 cluster: a heartbeat per cluster, a health check, a supervisor.

django-q2 cannot survive a worker killed while it holds the lock of the cluster's internal task queue
(docs/deploy.md, "Worker supervision"): the cluster keeps running and takes no more work. This app
notices (`selectors.cluster_health`) so that `serve`, systemd or Kubernetes restart the cluster.
"""
