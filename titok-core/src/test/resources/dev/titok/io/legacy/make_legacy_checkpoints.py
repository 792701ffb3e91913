"""Writes the legacy torch.save checkpoints that TorchPickleLegacyTest reads, and zip-format copies of them.

The legacy format (PyTorch < 1.6, still written with _use_new_zipfile_serialization=False) is what old
releases such as pytorch-fid's pt_inception-2015-12-05-6726825d.pth use. The files must come from real
PyTorch, not from our own writer, so that the test checks the reader against the format as PyTorch writes it.

Run from this directory with Debian's PyTorch (python3-torch 1.13.1+dfsg, torch.__version__ 1.13.0a0; the
pyenv python3 has no torch, hence the explicit interpreter):

    /usr/bin/python3 make_legacy_checkpoints.py

Every case is written twice: legacy_<case>.pth in the legacy format and zip_<case>.pth in the zip format,
which the test uses as the expected tensors. The tensors of the "dtypes" case are also computed from
formulas in the test itself, so that at least one case trusts neither format's reader. The tensors are
deterministic (fixed seed); the legacy files still differ from run to run in their storage keys, which are
memory addresses. Two more files have no zip copy: legacy_module_protocol4.pth (the "module" case with pickle
protocol 4, expected to equal zip_module.pth) and legacy_whole_module.pth (a whole pickled nn.Linear, which
the reader must refuse).
"""
import collections

import torch
import torch.nn as nn


def dtypes():
    """Every common dtype, views of one shared storage, an offset slice, a scalar and an empty tensor."""
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4) * 0.25
    return collections.OrderedDict([
        ("f32", base),
        ("f32.transposed", base.t()),  # non-contiguous view of base's storage
        ("f32.row1", base[1]),  # storage offset 4
        ("f32.column2", base[:, 2]),  # offset 2, stride 4
        ("f64", torch.arange(6, dtype=torch.float64).reshape(2, 3) / 3),
        ("f16", torch.arange(5, dtype=torch.float16) * 0.5 - 1),
        ("bf16", torch.arange(4, dtype=torch.bfloat16) * 2 - 3),
        ("i64", torch.tensor([-5, 1 << 40, 7], dtype=torch.int64)),
        ("i32", torch.tensor([-7, 1 << 30], dtype=torch.int32)),
        ("i16", torch.tensor([-300, 300], dtype=torch.int16)),
        ("i8", torch.tensor([-128, 127], dtype=torch.int8)),
        ("u8", torch.tensor([0, 200, 255], dtype=torch.uint8)),
        ("bool", torch.tensor([True, False, True])),
        ("slice", torch.arange(10, dtype=torch.float32)[2:5]),  # saved alone: its storage still holds all 10
        ("scalar", torch.tensor(2.5, dtype=torch.float32)),
        ("empty", torch.zeros(0, 3, dtype=torch.float32)),
    ])


def net():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 3, 2), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(3, 2))
    return model


def module():
    """An nn.Module state dict: an OrderedDict with _metadata, BatchNorm buffers and num_batches_tracked."""
    model = net()
    model.train()
    model(torch.randn(4, 2, 2, 2))  # moves the running statistics and num_batches_tracked off their defaults
    return model.state_dict()


def checkpoint():
    """A training checkpoint: Parameters under 'state_dict', next to an epoch and an SGD state with tensors."""
    model = net()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(4, 2, 2, 2)).square().mean().backward()
    optimizer.step()
    return {"epoch": 3, "state_dict": model.state_dict(keep_vars=True), "optimizer": optimizer.state_dict()}


def main():
    cases = {"dtypes": dtypes(), "module": module(), "checkpoint": checkpoint()}
    for name, obj in cases.items():
        torch.save(obj, "legacy_" + name + ".pth", _use_new_zipfile_serialization=False)
        torch.save(obj, "zip_" + name + ".pth")
    # torch.save's default pickle protocol is 2; a later one adds framing and other opcodes
    torch.save(module(), "legacy_module_protocol4.pth", _use_new_zipfile_serialization=False, pickle_protocol=4)
    # a whole pickled module rather than its state dict: the reader must refuse its classes
    torch.manual_seed(0)
    torch.save(nn.Linear(2, 1), "legacy_whole_module.pth", _use_new_zipfile_serialization=False)


if __name__ == "__main__":
    main()
