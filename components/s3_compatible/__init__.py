"""Storage on an S3-compatible server (MinIO, Ceph RGW, ...): the S3CompatibleStorage component and
its stack mapping. The server owns its buckets and users; the component declares nothing in any
cloud, only how Label Studio reaches the bucket.
"""

from components import lazy_exports

__all__ = ["S3CompatibleStorage", "S3CompatibleStorageArgs"]
__getattr__ = lazy_exports(__name__, "component", __all__)
