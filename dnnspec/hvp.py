"""Hessian-vector products of a model's full training loss, as pure closures.

The loss is the mean of ``loss_fn(model(x), y)`` over every sample of ``data`` (the whole
training set), so the Hessian is ``H = sum_c (n_c / N) * H_c`` over chunks ``c`` of the data.
Chunks bound memory: one chunk's activations live at a time.

Two ways to multiply, chosen by ``method``:

``"func"`` (default)
    forward-over-reverse with :mod:`torch.func`: ``jvp(grad(loss), (w,), (v,))``; a block of
    vectors goes through :func:`torch.func.vmap`, one pass over the data per block.
``"graph"``
    double backward through a gradient graph built once per chunk and kept
    (``create_graph=True``), then ``autograd.grad(g @ v)`` per product. Faster per product on
    small fully connected nets, but it keeps every chunk's graph in memory: use it only when
    the training set is small.

The model is evaluated in ``eval()`` mode (BatchNorm uses its running statistics, dropout is
off), so the loss is a deterministic function of the weights; its ``train``/``eval`` state is
restored afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

#: Product implementations ``loss_hessian`` offers.
METHODS = ("auto", "func", "graph")
#: ``method="auto"`` keeps the gradient graph (faster) up to this many training samples.
GRAPH_MAX_SAMPLES = 10_000

MatMat = Callable[[Tensor], Tensor]
LossFn = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class HessianOperator:
    """The Hessian of a model's training loss as a product closure.

    Attributes
    ----------
    n_params : int
        Dimension ``P`` of the (flattened) parameter vector.
    dtype : torch.dtype
        Of the vectors :meth:`matmat` takes and returns.
    device : torch.device
        Where those vectors live.
    n_samples : int
        Training samples the loss averages over.
    method : {"func", "graph"}
        The product implementation (see the module docstring).
    """

    n_params: int
    dtype: torch.dtype
    device: torch.device
    n_samples: int
    method: str
    _matmat: MatMat
    _counter: list[int]

    def matmat(self, vectors: Tensor) -> Tensor:
        """The product ``H @ V``.

        Parameters
        ----------
        vectors : Tensor, shape (P, b)
            Cast to :attr:`dtype` and moved to :attr:`device`.

        Returns
        -------
        Tensor, shape (P, b)
            ``H @ vectors`` in :attr:`dtype`.
        """
        if vectors.ndim != 2 or vectors.shape[0] != self.n_params:
            raise ValueError(f"expected vectors of shape ({self.n_params}, b), got {tuple(vectors.shape)}")
        self._counter[0] += vectors.shape[1]
        return self._matmat(vectors.to(dtype=self.dtype, device=self.device))

    def matvec(self, vector: Tensor) -> Tensor:
        """The product ``H @ v`` of one vector.

        Parameters
        ----------
        vector : Tensor, shape (P,)
            Cast to :attr:`dtype` and moved to :attr:`device`.

        Returns
        -------
        Tensor, shape (P,)
        """
        return self.matmat(vector.reshape(-1, 1))[:, 0]

    @property
    def n_products(self) -> int:
        """Hessian-vector products computed so far (a block of b counts b).

        Returns
        -------
        int
        """
        return int(self._counter[0])


def as_chunks(
    data: tuple[Tensor, Tensor] | Iterable[Sequence[Tensor]], *, device: torch.device, dtype: torch.dtype
) -> list[tuple[Tensor, Tensor]]:
    """Materialise ``data`` as a list of (x, y) chunks on ``device``; x cast to ``dtype``.

    Parameters
    ----------
    data : (x, y) or iterable of (x, y)
        A ``(x, y)`` pair of tensors (one chunk), or an iterable of such pairs (a list, or a
        :class:`torch.utils.data.DataLoader` with a fixed order).
    device : torch.device
        Where the chunks are put.
    dtype : torch.dtype
        Floating-point inputs ``x`` are cast to it (integer inputs and the targets are not).

    Returns
    -------
    list of (Tensor, Tensor)
        The chunks ``(x, y)``.

    Raises
    ------
    TypeError
        An item is not an ``(x, y)`` pair.
    ValueError
        ``data`` holds no chunk.
    """
    if isinstance(data, tuple) and len(data) == 2 and isinstance(data[0], Tensor):
        data = [data]
    chunks = []
    for item in data:
        if not (isinstance(item, Sequence) and len(item) >= 2):
            raise TypeError(f"data must yield (x, y) pairs of tensors, got {type(item).__name__}")
        x, y = item[0], item[1]
        x = x.to(device=device, dtype=dtype) if x.is_floating_point() else x.to(device=device)
        chunks.append((x, y.to(device=device)))
    if not chunks:
        raise ValueError("data holds no samples")
    return chunks


def split_chunks(x: Tensor, y: Tensor, *, chunk_size: int) -> list[tuple[Tensor, Tensor]]:
    """Cut a whole dataset ``(x, y)`` into consecutive chunks of at most ``chunk_size`` samples.

    Parameters
    ----------
    x : Tensor, shape (n, ...)
        Inputs.
    y : Tensor, shape (n, ...)
        Targets.
    chunk_size : int
        Samples per chunk, >= 1 (the last chunk may be shorter).

    Returns
    -------
    list of (Tensor, Tensor)
        Views of ``x`` and ``y``, in order.
    """
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    return [(x[i : i + chunk_size], y[i : i + chunk_size]) for i in range(0, len(x), chunk_size)]


def loss_hessian(
    model: torch.nn.Module,
    loss_fn: LossFn,
    data: tuple[Tensor, Tensor] | Iterable[Sequence[Tensor]],
    *,
    dtype: torch.dtype | None = None,
    device: str | torch.device | None = None,
    method: str = "func",
) -> HessianOperator:
    """The Hessian of the mean training loss as a :class:`HessianOperator`.

    Parameters
    ----------
    model : torch.nn.Module
        Not modified: a copy is moved to ``dtype``/``device`` and evaluated in ``eval()`` mode.
    loss_fn : callable
        ``loss_fn(outputs, targets)`` returning the *mean* loss over the chunk (like
        ``torch.nn.functional.cross_entropy`` with its default reduction).
    data : (x, y) or iterable of (x, y)
        The training set, in chunks. Each chunk's mean loss is weighted by its size.
    dtype : torch.dtype, optional
        Arithmetic precision of the products (``torch.float64`` for checks); default the
        model's own.
    device : str or torch.device, optional
        Default: the model's device.
    method : {"auto", "func", "graph"}
        See the module docstring; ``"auto"`` takes ``"graph"`` for at most
        ``GRAPH_MAX_SAMPLES`` training samples and ``"func"`` above.

    Returns
    -------
    HessianOperator
        ``matmat(V)`` with ``V`` of shape (P, b), ``P`` the number of trainable parameters
        (in ``model.named_parameters()`` order).
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    first = next(iter(model.parameters()), None)
    if first is None:
        raise ValueError("the model has no parameters")
    device = torch.device(device) if device is not None else first.device
    dtype = dtype or first.dtype
    import copy

    net = copy.deepcopy(model).to(device=device, dtype=dtype).eval()
    chunks = as_chunks(data, device=device, dtype=dtype)
    n_samples = sum(len(x) for x, _ in chunks)
    names = [n for n, p in net.named_parameters() if p.requires_grad]
    params = {n: p.detach() for n, p in net.named_parameters() if p.requires_grad}
    shapes = [params[n].shape for n in names]
    sizes = [params[n].numel() for n in names]
    flat = torch.cat([params[n].reshape(-1) for n in names])
    buffers = dict(net.named_buffers())
    weights = [len(x) / n_samples for x, _ in chunks]

    def unflatten(w: Tensor) -> dict[str, Tensor]:
        return {n: t.view(s) for n, t, s in zip(names, torch.split(w, sizes), shapes, strict=True)}

    if method == "auto":
        method = "graph" if n_samples <= GRAPH_MAX_SAMPLES else "func"
    with torch.no_grad():
        for i, (x, y) in enumerate(chunks):
            loss = loss_fn(net(x), y)
            if not bool(torch.isfinite(loss)):
                raise ValueError(
                    f"the training loss is {float(loss)} on data chunk {i} at these weights: "
                    "no Hessian to take (did training diverge?)"
                )
    if method == "func":
        matmat = _func_matmat(net, loss_fn, chunks, weights, flat, unflatten, buffers)
    else:
        matmat = _graph_matmat(net, loss_fn, chunks, weights, flat, unflatten, buffers)
    return HessianOperator(
        n_params=int(flat.numel()),
        dtype=dtype,
        device=device,
        n_samples=n_samples,
        method=method,
        _matmat=matmat,
        _counter=[0],
    )


def _func_matmat(
    net: torch.nn.Module,
    loss_fn: LossFn,
    chunks: list[tuple[Tensor, Tensor]],
    weights: list[float],
    flat: Tensor,
    unflatten: Callable[[Tensor], dict[str, Tensor]],
    buffers: dict[str, Tensor],
) -> MatMat:
    """Products by forward-over-reverse differentiation (:mod:`torch.func`), chunk by chunk."""
    from torch.func import functional_call, grad, jvp, vmap

    def chunk_matmat(x: Tensor, y: Tensor, vectors: Tensor) -> Tensor:
        def loss(w: Tensor) -> Tensor:
            return loss_fn(functional_call(net, (unflatten(w), buffers), (x,)), y)

        def hvp(v: Tensor) -> Tensor:
            return jvp(grad(loss), (flat,), (v,))[1]

        if vectors.shape[1] == 1:
            return hvp(vectors[:, 0]).unsqueeze(1)
        return vmap(hvp, in_dims=1, out_dims=1)(vectors)

    def matmat(vectors: Tensor) -> Tensor:
        out = torch.zeros_like(vectors)
        for (x, y), c in zip(chunks, weights, strict=True):
            out.add_(chunk_matmat(x, y, vectors), alpha=c)
        return out

    return matmat


#: Columns from which the kept-graph products are batched on a CPU (measured on the digits FCNs:
#: 128 unit vectors per call build the 502- and 1,930-parameter Hessians 4.1x and 1.8x faster).
BATCHED_MIN_CPU = 32


def _graph_matmat(
    net: torch.nn.Module,
    loss_fn: LossFn,
    chunks: list[tuple[Tensor, Tensor]],
    weights: list[float],
    flat: Tensor,
    unflatten: Callable[[Tensor], dict[str, Tensor]],
    buffers: dict[str, Tensor],
) -> MatMat:
    """Products by double backward through a gradient graph built once and kept."""
    from torch.func import functional_call

    w = flat.clone().requires_grad_(True)
    grads = []
    for (x, y), c in zip(chunks, weights, strict=True):
        loss = loss_fn(functional_call(net, (unflatten(w), buffers), (x,)), y) * c
        (g,) = torch.autograd.grad(loss, w, create_graph=True)
        grads.append(g)
    total = torch.stack(grads).sum(0) if len(grads) > 1 else grads[0]

    def matmat(vectors: Tensor) -> Tensor:
        if vectors.shape[1] >= (2 if vectors.device.type != "cpu" else BATCHED_MIN_CPU):
            # on a GPU one batched double backward fills the device; on a CPU it is no faster for
            # a Lanczos block, but 2-4x faster for the hundreds of unit vectors of a dense Hessian
            (hv,) = torch.autograd.grad(
                total, w, grad_outputs=vectors.T.contiguous(), retain_graph=True, is_grads_batched=True
            )
            return hv.detach().T
        cols = []
        for j in range(vectors.shape[1]):
            (hv,) = torch.autograd.grad(total, w, grad_outputs=vectors[:, j], retain_graph=True)
            cols.append(hv.detach())
        return torch.stack(cols, dim=1)

    return matmat


def dense_hessian(operator: HessianOperator, *, block_size: int = 64) -> Tensor:
    """The full (P, P) Hessian by P products with the unit vectors; for tiny networks and tests.

    Parameters
    ----------
    operator : HessianOperator
        The Hessian.
    block_size : int
        Unit vectors per product call.

    Returns
    -------
    Tensor, shape (P, P)
        Symmetrised (``(H + H^T) / 2``), in the operator's dtype and on its device.
    """
    n = operator.n_params
    eye = torch.eye(n, dtype=operator.dtype, device=operator.device)
    cols = [operator.matmat(eye[:, i : i + block_size]) for i in range(0, n, block_size)]
    h = torch.cat(cols, dim=1)
    return (h + h.T) / 2
