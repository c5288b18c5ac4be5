"""The built-in resource types of Kubernetes 1.36 (what ``kubectl api-resources`` lists)."""

from __future__ import annotations

from kubechat_lab.command._resource_table import ResourceInfo, ResourceTable

__all__ = ["BUILTIN_RESOURCES", "DEFAULT_RESOURCES"]


def _r(
    plural: str,
    singular: str,
    kind: str,
    short: tuple[str, ...] = (),
    group: str = "",
    version: str = "v1",
    namespaced: bool = True,
) -> ResourceInfo:
    return ResourceInfo(plural, singular, kind, short, group, version, namespaced)


BUILTIN_RESOURCES: tuple[ResourceInfo, ...] = (
    # core/v1
    _r("pods", "pod", "Pod", ("po",)),
    _r("services", "service", "Service", ("svc",)),
    _r("namespaces", "namespace", "Namespace", ("ns",), namespaced=False),
    _r("nodes", "node", "Node", ("no",), namespaced=False),
    _r("configmaps", "configmap", "ConfigMap", ("cm",)),
    _r("secrets", "secret", "Secret"),
    _r("persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim", ("pvc",)),
    _r("persistentvolumes", "persistentvolume", "PersistentVolume", ("pv",), namespaced=False),
    _r("serviceaccounts", "serviceaccount", "ServiceAccount", ("sa",)),
    _r("events", "event", "Event", ("ev",)),
    _r("endpoints", "endpoints", "Endpoints", ("ep",)),
    _r("replicationcontrollers", "replicationcontroller", "ReplicationController", ("rc",)),
    _r("resourcequotas", "resourcequota", "ResourceQuota", ("quota",)),
    _r("limitranges", "limitrange", "LimitRange", ("limits",)),
    _r("podtemplates", "podtemplate", "PodTemplate"),
    _r("componentstatuses", "componentstatus", "ComponentStatus", ("cs",), namespaced=False),
    # apps/v1
    _r("deployments", "deployment", "Deployment", ("deploy",), "apps"),
    _r("replicasets", "replicaset", "ReplicaSet", ("rs",), "apps"),
    _r("statefulsets", "statefulset", "StatefulSet", ("sts",), "apps"),
    _r("daemonsets", "daemonset", "DaemonSet", ("ds",), "apps"),
    _r("controllerrevisions", "controllerrevision", "ControllerRevision", (), "apps"),
    # batch/v1
    _r("jobs", "job", "Job", (), "batch"),
    _r("cronjobs", "cronjob", "CronJob", ("cj",), "batch"),
    # autoscaling/v2
    _r(
        "horizontalpodautoscalers",
        "horizontalpodautoscaler",
        "HorizontalPodAutoscaler",
        ("hpa",),
        "autoscaling",
        "v2",
    ),
    # networking.k8s.io/v1
    _r("ingresses", "ingress", "Ingress", ("ing",), "networking.k8s.io"),
    _r("ingressclasses", "ingressclass", "IngressClass", (), "networking.k8s.io",
       namespaced=False),
    _r("networkpolicies", "networkpolicy", "NetworkPolicy", ("netpol",), "networking.k8s.io"),
    # discovery.k8s.io/v1
    _r("endpointslices", "endpointslice", "EndpointSlice", (), "discovery.k8s.io"),
    # policy/v1
    _r("poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget", ("pdb",), "policy"),
    # rbac.authorization.k8s.io/v1
    _r("roles", "role", "Role", (), "rbac.authorization.k8s.io"),
    _r("rolebindings", "rolebinding", "RoleBinding", (), "rbac.authorization.k8s.io"),
    _r("clusterroles", "clusterrole", "ClusterRole", (), "rbac.authorization.k8s.io",
       namespaced=False),
    _r("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", (),
       "rbac.authorization.k8s.io", namespaced=False),
    # storage.k8s.io/v1
    _r("storageclasses", "storageclass", "StorageClass", ("sc",), "storage.k8s.io",
       namespaced=False),
    _r("csidrivers", "csidriver", "CSIDriver", (), "storage.k8s.io", namespaced=False),
    _r("csinodes", "csinode", "CSINode", (), "storage.k8s.io", namespaced=False),
    _r("volumeattachments", "volumeattachment", "VolumeAttachment", (), "storage.k8s.io",
       namespaced=False),
    # scheduling / node / coordination
    _r("priorityclasses", "priorityclass", "PriorityClass", ("pc",), "scheduling.k8s.io",
       namespaced=False),
    _r("runtimeclasses", "runtimeclass", "RuntimeClass", (), "node.k8s.io", namespaced=False),
    _r("leases", "lease", "Lease", (), "coordination.k8s.io"),
    # extension and admission
    _r("customresourcedefinitions", "customresourcedefinition", "CustomResourceDefinition",
       ("crd", "crds"), "apiextensions.k8s.io", namespaced=False),
    _r("apiservices", "apiservice", "APIService", (), "apiregistration.k8s.io",
       namespaced=False),
    _r("mutatingwebhookconfigurations", "mutatingwebhookconfiguration",
       "MutatingWebhookConfiguration", (), "admissionregistration.k8s.io", namespaced=False),
    _r("validatingwebhookconfigurations", "validatingwebhookconfiguration",
       "ValidatingWebhookConfiguration", (), "admissionregistration.k8s.io", namespaced=False),
    _r("validatingadmissionpolicies", "validatingadmissionpolicy",
       "ValidatingAdmissionPolicy", (), "admissionregistration.k8s.io", namespaced=False),
    _r("validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
       "ValidatingAdmissionPolicyBinding", (), "admissionregistration.k8s.io",
       namespaced=False),
    _r("mutatingadmissionpolicies", "mutatingadmissionpolicy", "MutatingAdmissionPolicy", (),
       "admissionregistration.k8s.io", "v1beta1", namespaced=False),
    _r("mutatingadmissionpolicybindings", "mutatingadmissionpolicybinding",
       "MutatingAdmissionPolicyBinding", (), "admissionregistration.k8s.io", "v1beta1",
       namespaced=False),
    _r("certificatesigningrequests", "certificatesigningrequest", "CertificateSigningRequest",
       ("csr",), "certificates.k8s.io", namespaced=False),
    _r("flowschemas", "flowschema", "FlowSchema", (), "flowcontrol.apiserver.k8s.io",
       namespaced=False),
    _r("prioritylevelconfigurations", "prioritylevelconfiguration",
       "PriorityLevelConfiguration", (), "flowcontrol.apiserver.k8s.io", namespaced=False),
    # events.k8s.io: listed after core events, so `events` means core/v1 events
    _r("events", "event", "Event", ("ev",), "events.k8s.io"),
)

#: The built-in resource table (Kubernetes 1.36 core and built-in groups).
DEFAULT_RESOURCES: ResourceTable = ResourceTable(BUILTIN_RESOURCES)
