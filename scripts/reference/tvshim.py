"""Make ``import torchvision`` work with torchvision 0.28.0 on torch 2.13.0+cpu.

torchvision's C extension (``torchvision._C``) does not load against the CPU
build of torch 2.13, so its operator schemas are never registered and
``import torchvision`` fails with ``operator torchvision::nms does not exist``
(the Python side registers fake/meta kernels for ops it expects to exist).

Importing this module *before* torchvision defines the schemas itself via
``torch.library.Library("torchvision", "DEF")``. Only the schemas are
defined, no kernels: the detection ops (nms, roi_align, ...) are therefore not
callable, which is fine for the classification models used by the reference
generators. When the ops already exist (a torch/torchvision pair whose C
extension loads) nothing is done.

Usage::

    import tvshim  # noqa: F401  (before torchvision)
    import torchvision
"""

import torch

_SCHEMAS = [
    "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
    "roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, bool aligned) -> Tensor",
    "_roi_align_backward(Tensor grad, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width, int sampling_ratio, bool aligned) -> Tensor",
    "ps_roi_align(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio) -> (Tensor, Tensor)",
    "_ps_roi_align_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, int sampling_ratio, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_roi_pool_backward(Tensor grad, Tensor rois, Tensor argmax, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "ps_roi_pool(Tensor input, Tensor rois, float spatial_scale, SymInt pooled_height, SymInt pooled_width) -> (Tensor, Tensor)",
    "_ps_roi_pool_backward(Tensor grad, Tensor rois, Tensor channel_mapping, float spatial_scale, SymInt pooled_height, SymInt pooled_width, SymInt batch_size, SymInt channels, SymInt height, SymInt width) -> Tensor",
    "deform_conv2d(Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
    "_deform_conv2d_backward(Tensor grad, Tensor input, Tensor weight, Tensor offset, Tensor mask, Tensor bias, SymInt stride_h, SymInt stride_w, SymInt pad_h, SymInt pad_w, SymInt dilation_h, SymInt dilation_w, SymInt groups, SymInt offset_groups, bool use_mask) -> Tensor",
]

# Kept at module level: the Library object must stay alive for the
# definitions to remain registered.
_LIB = None


def _op_exists(name: str) -> bool:
    find = getattr(torch._C, "_dispatch_find_schema_or_throw", None)
    if find is None:  # private API gone: ask the public op namespace instead
        try:
            getattr(torch.ops.torchvision, name)
            return True
        except (AttributeError, RuntimeError):
            return False
    try:
        find(f"torchvision::{name}", "")
        return True
    except RuntimeError:
        return False


def install() -> bool:
    """Defines the missing torchvision op schemas; returns True if it did."""
    global _LIB
    if _LIB is not None or _op_exists("nms"):
        return False
    lib = torch.library.Library("torchvision", "DEF")
    for schema in _SCHEMAS:
        name = schema.split("(", 1)[0]
        if not _op_exists(name):
            lib.define(schema)
    _LIB = lib
    return True


install()
