"""Walking the recorded graph as in PyTorch: ``grad_fn.next_functions`` and the
``AccumulateGrad`` nodes of leaves, and ``repr(grad_fn)``.

Also the orders a backward pass (:mod:`xpnet._backward_pass`) walks the graph in: every
input before its users, PyTorch's engine order (:func:`engine_order`), and which tensors
lead to some targets; and the outputs of one custom Function call, whose nodes share one
backward call (:class:`OutputGroup`), as PyTorch's one node with several outputs.

PyTorch's graph walkers (torchviz, hand-written ones) follow ``next_functions`` from a
result's ``grad_fn``: one ``(node, output_nr)`` pair per input of the op (per Tensor input
of a custom Function), where ``node`` is the input's own ``grad_fn``, an ``AccumulateGrad``
for a leaf that requires grad (its ``variable`` is the leaf), or ``None`` for an input
without a gradient. xpnet's nodes have one output each, so ``output_nr`` is 0, except for
the outputs of a custom Function with several: each has a node of its own (PyTorch's share
one), and ``output_nr`` is the output's position, as PyTorch's.

Neighbours: :mod:`xpnet.autograd` (``Node``, whose attributes these are),
:mod:`xpnet._backward_pass` (the walk),
:mod:`xpnet._tensor_print` (``grad_fn.name()``).
"""

from __future__ import annotations

import heapq
import itertools
import math
import weakref
from typing import NamedTuple

__all__ = [
    "AccumulateGrad",
    "GradientEdge",
    "GroupedGradients",
    "OutputGroup",
    "edge_tensors",
    "engine_order",
    "gradient_edge",
    "leading_to",
    "next_functions",
    "next_sequence_nr",
    "node_repr",
    "topological_order",
]

# a node's sequence_nr, as PyTorch's: in the order they are made, in every thread
next_sequence_nr = itertools.count().__next__


class AccumulateGrad:
    """The node that adds a gradient into a leaf's ``.grad`` (PyTorch's
    ``torch::autograd::AccumulateGrad``); one per leaf, the same object every time.

    Attributes:
        variable: the leaf Tensor.
        next_functions: ``()``, a leaf has no inputs.
    """

    next_functions: tuple = ()

    def __init__(self, variable):
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def next_functions(node) -> tuple:
    """``((node, output_nr), ...)`` for the inputs of ``node``, as PyTorch's
    ``next_functions``.

    Example:
        >>> import xpnet
        >>> x = xpnet.ones(2, requires_grad=True)
        >>> y = (x * 2).sum()
        >>> [f.name() for f, _ in y.grad_fn.next_functions]
        ['MulBackward0']
        >>> accumulate = y.grad_fn.next_functions[0][0].next_functions[0][0]
        >>> accumulate.name(), accumulate.variable is x
        ('torch::autograd::AccumulateGrad', True)
    """
    inputs = node.inputs
    if getattr(node.function, "tensor_edges", False):  # a custom Function's node
        inputs = [value for value in inputs if hasattr(value, "grad_fn")]
    return tuple((_input_node(value), _output_nr(value)) for value in inputs)


class GradientEdge(NamedTuple):
    """An edge into the graph, as ``torch.autograd.graph.GradientEdge``: the ``node`` a
    tensor's gradient goes into (its ``grad_fn``, or a leaf's ``AccumulateGrad``) and which
    of its outputs the tensor is (``output_nr``). ``autograd.grad`` takes one in place of
    the tensor, which need not be kept."""

    node: object
    output_nr: int
    ownership_token: object = None


def gradient_edge(tensor) -> GradientEdge:
    """``tensor``'s :class:`GradientEdge`, as ``torch.autograd.graph.get_gradient_edge``.

    Raises:
        RuntimeError: ``tensor`` does not require grad (PyTorch's message).
    """
    if not getattr(tensor, "requires_grad", False):
        msg = (
            "It is not possible to get the gradient edge for a Tensor that does not require "
            "gradients"
        )
        raise RuntimeError(msg)
    return GradientEdge(_input_node(tensor), _output_nr(tensor))


def edge_tensors(outputs, inputs) -> tuple:
    """``inputs`` with each :class:`GradientEdge` replaced by the tensor it stands for: a
    leaf's (its ``AccumulateGrad``'s ``variable``), or the tensor of the graph of
    ``outputs`` whose node and output it names; ``None`` for an edge outside that graph."""
    if not any(isinstance(value, GradientEdge) for value in inputs):
        return inputs
    by_edge = {(id(t.grad_fn), _output_nr(t)): t for t in topological_order(list(outputs))}

    def tensor(value):
        if not isinstance(value, GradientEdge):
            return value
        if isinstance(value.node, AccumulateGrad):
            return value.node.variable
        return by_edge.get((id(value.node), value.output_nr))

    return tuple(tensor(value) for value in inputs)


def _output_nr(value) -> int:
    node = getattr(value, "grad_fn", None)
    return 0 if getattr(node, "group", None) is None else node.output_index


def _input_node(value):
    if getattr(value, "grad_fn", None) is not None:
        return value.grad_fn
    if not getattr(value, "requires_grad", False):
        return None  # a constant, an array, None, a Tensor without a gradient
    accumulate = value.__dict__.get("_grad_accumulator")
    if accumulate is None:  # made on first use and kept: walkers compare nodes by identity
        accumulate = value.__dict__["_grad_accumulator"] = AccumulateGrad(value)
    return accumulate


def node_type_name(node) -> str:
    """The name of PyTorch's class of ``node``: its ``name()``, less a C++ namespace
    (``torch::autograd::NotImplemented`` is a ``NotImplemented``)."""
    return node.name().rsplit("::", 1)[-1]


def node_repr(node) -> str:
    """PyTorch's ``repr(grad_fn)``: ``<MulBackward0 object at 0x...>``."""
    return f"<{node_type_name(node)} object at {id(node):#x}>"


def leading_to(order, targets) -> set:
    """The ids of the tensors of ``order`` (inputs before users) from which a target is
    reached through grad_fn: the nodes a walk towards ``targets`` runs."""
    needed = {id(target) for target in targets}
    for tensor in order:
        if tensor.grad_fn is not None and any(id(p) in needed for p in tensor.grad_fn.inputs):
            needed.add(id(tensor))
    return needed


def topological_order(roots) -> list:
    """Tensors reachable from ``roots`` (a tensor or a list) through grad_fn, every input
    before its users."""
    roots = roots if isinstance(roots, list) else [roots]
    order, visited, stack = [], set(), [(root, False) for root in reversed(roots)]
    while stack:
        tensor, inputs_done = stack.pop()
        if inputs_done:
            order.append(tensor)
            continue
        if id(tensor) in visited:
            continue
        visited.add(id(tensor))
        stack.append((tensor, True))
        stack.extend((parent, False) for parent in _graph_inputs(tensor))
    return order


def engine_order(order) -> list:
    """The tensors of ``order`` (inputs before users, from :func:`topological_order`) in the
    order PyTorch's engine runs their nodes: a node once every user of its outputs has run
    (each ``grad_fn`` input edge is a dependency, as the engine counts them; the outputs of
    one custom Function call, an :class:`OutputGroup`, are one node, taken together); of the
    ready ones, a leaf first (its ``AccumulateGrad`` has the highest priority), else the node
    made last (the highest ``sequence_nr``). Hooks on independent branches run in PyTorch's
    order then.

    Example:
        >>> import xpnet
        >>> a, b = xpnet.ones(2, requires_grad=True), xpnet.ones(2, requires_grad=True)
        >>> x, y = a * 2, b * 3
        >>> z = x + y
        >>> names = {id(t): n for n, t in dict(a=a, b=b, x=x, y=y, z=z).items()}
        >>> [names[id(t)] for t in engine_order(topological_order(z))]
        ['z', 'y', 'b', 'x', 'a']
    """
    members: dict = {}  # a node's key -> its output tensors in this walk
    keys = {id(tensor): _node_key(tensor) for tensor in order}
    for tensor in order:
        members.setdefault(keys[id(tensor)], []).append(tensor)
    edges = {
        key: [keys[id(p)] for t in outputs for p in _graph_inputs(t)]
        for key, outputs in members.items()
    }
    waiting = dict.fromkeys(members, 0)  # edges from users not yet run
    for parents in edges.values():
        for parent in parents:
            waiting[parent] += 1
    ready, ties = [], itertools.count()  # ties: the order in which they became ready

    def make_ready(key):
        node = members[key][0].grad_fn
        priority = math.inf if node is None else node.sequence_nr
        heapq.heappush(ready, (-priority, next(ties), key))

    for key, count in waiting.items():
        if not count:
            make_ready(key)
    run = []
    while ready:
        key = heapq.heappop(ready)[2]
        run.extend(sorted(members[key], key=_output_nr))  # a group's outputs by position
        for parent in edges[key]:
            waiting[parent] -= 1
            if not waiting[parent]:
                make_ready(parent)
    return run


def _node_key(tensor) -> int:
    """What stands for the node that ``tensor``'s gradient goes into: its output group's
    (one node for several outputs), else the tensor's own."""
    group = getattr(tensor.grad_fn, "group", None)
    return id(tensor) if group is None else id(group)


def _graph_inputs(tensor) -> list:
    """The Tensors that ``tensor``'s node passes gradients to: one per edge."""
    if tensor.grad_fn is None:
        return []
    return [p for p in tensor.grad_fn.inputs if getattr(p, "requires_grad", False)]


class OutputGroup:
    """The outputs of one call of an op with several, whose nodes (one per differentiable
    output Tensor) run one backward for all: a custom Function's, as PyTorch's single node.
    Each member node has ``group`` set to it and ``output_index``, its output's position.

    Args:
        size: how many outputs the call returned (Tensors or not).
        outputs: the output Tensors with a node; held weakly (they hold their nodes).
    """

    def __init__(self, size: int, outputs):
        self.size = size
        self.outputs = [weakref.ref(tensor) for tensor in outputs]

    def tensors(self) -> list:
        """The group's output Tensors that still exist."""
        return [t for ref in self.outputs if (t := ref()) is not None]

    def free(self) -> None:
        """Drop every member node's saved values (``retain_graph=False``): a second backward
        through any of the outputs raises, as through PyTorch's one node."""
        for tensor in self.tensors():
            tensor.grad_fn.args = tensor.grad_fn.kwargs = None


class GroupedGradients:
    """One walk's gradients of grouped outputs (:class:`OutputGroup`), held until the last
    output of the group that the walk reaches: every output's users have run by then, and
    the group's inputs run after it (they precede every output in the order)."""

    def __init__(self, order):
        self._order = order
        self._in_walk = None  # the ids of the walk's tensors, once a group asks
        self._held: dict = {}  # id(group) -> [gradients by position, outputs still to come]

    def offer(self, tensor, grad):
        """Hold ``tensor``'s gradient (``None``: it has none, or its node is not to run).
        Returns ``None`` until the group's last output in this walk, then the gradients of
        all its outputs by position (``None`` for the others), or ``None`` if none has one."""
        node = tensor.grad_fn
        held = self._held.get(id(node.group))
        if held is None:
            if self._in_walk is None:
                self._in_walk = {id(t) for t in self._order}
            count = sum(id(t) in self._in_walk for t in node.group.tensors())
            held = self._held[id(node.group)] = [[None] * node.group.size, count]
        held[0][node.output_index] = grad
        held[1] -= 1
        if held[1] > 0:
            return None
        del self._held[id(node.group)]
        return None if all(g is None for g in held[0]) else tuple(held[0])
