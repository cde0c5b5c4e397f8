"""deploy/ stays consistent with the code: the queues, the probes, the variables, the balancer."""

import re
import shutil
import subprocess
from pathlib import Path

import yaml
from django.conf import settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
SETTINGS = (Path(__file__).resolve().parent.parent / "portal" / "settings.py").read_text()


def test_every_queue_has_a_worker_in_compose_and_the_unit_is_per_queue():
    queues = {queue.name for queue in settings.CELERY_TASK_QUEUES}
    services = yaml.safe_load((DEPLOY / "compose.yaml").read_text())["services"]
    served = {
        command[command.index("-Q") + 1]
        for service in services.values()
        if "-Q" in (command := service.get("command", []))
    }
    assert served == queues
    unit = (DEPLOY / "systemd" / "elicence-worker@.service").read_text()
    assert "-Q %i" in unit and "%%h" in unit  # systemd's %h is a home folder; celery's needs escaping
    assert sum(1 for s in services.values() if " beat" in " ".join(s.get("command", []))) == 1


def test_every_variable_of_the_environment_template_is_read_by_the_settings():
    names = re.findall(r"^([A-Z_][A-Z0-9_]*)=", (DEPLOY / "elicence.env.example").read_text(), re.MULTILINE)
    assert len(names) > 15
    read = set(re.findall(r'env_(?:str|int|bool|list|networks)\("([A-Z_0-9]+)"', SETTINGS))
    read |= {"PROMETHEUS_MULTIPROC_DIR"}  # read by prometheus_client itself
    assert set(names) - read == set()


def test_the_balancer_probes_readiness_and_keeps_metrics_inside():
    config = (DEPLOY / "haproxy.cfg").read_text()
    assert "uri /readyz" in config and "deny if { path /metrics }" in config and "X-Request-ID" in config
    assert settings.ROOT_URLCONF and "readyz" in (DEPLOY.parent / "portal" / "urls.py").read_text()


def test_haproxy_accepts_the_balancer_config(tmp_path):
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    # Without the certificate this machine does not have: the TLS bind becomes a plain one.
    config = (DEPLOY / "haproxy.cfg").read_text()
    config = config.replace("bind :443 ssl crt /etc/haproxy/certs/elicence.pem alpn h2,http/1.1", "bind :8443")
    config = config.replace("log /dev/log local0", "log stdout local0")
    (tmp_path / "haproxy.cfg").write_text(config)
    result = subprocess.run([haproxy, "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
