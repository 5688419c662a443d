"""Tests for ridgeline.nn (weight decay for PyTorch) and the decoupled-decay converters.

Every decay is checked step for step against PyTorch's own optimizers (SGD/Adam
``weight_decay``, ``AdamW``), the group prox against its closed form computed in float64 numpy,
proximal training against the group-lasso optimality (KKT) conditions, and the
hypergradient against autograd through an explicitly unrolled step.
"""

from __future__ import annotations

import json
import logging
import math
import subprocess
import sys

import numpy as np
import pytest

from ridgeline import conventions as cv

torch = pytest.importorskip("torch")
nn = torch.nn
rn = pytest.importorskip("ridgeline.nn")

torch.set_num_threads(1)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


class Net(nn.Module):
    """Linear + LayerNorm + BatchNorm + Embedding: every default exclusion in one model."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(5, 3)
        self.fc1 = nn.Linear(7, 6)
        self.norm = nn.LayerNorm(6)
        self.bn = nn.BatchNorm1d(6)
        self.head = nn.Linear(6, 2)

    def forward(self, x: torch.Tensor, tok: torch.Tensor) -> torch.Tensor:
        h = torch.cat([x, self.emb(tok)], dim=1)[:, :7]
        return self.head(torch.relu(self.bn(self.norm(self.fc1(h)))))


def _data(seed: int = 0, n: int = 32, p: int = 4):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, p, generator=g)
    y = X @ torch.randn(p, 1, generator=g) + 0.3 * torch.randn(n, 1, generator=g)
    return X, y


def _mlp(seed: int = 0, p: int = 4, h: int = 8) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(p, h), nn.Tanh(), nn.Linear(h, 1))


def _twin(seed: int = 0) -> tuple[nn.Module, nn.Module]:
    a = _mlp(seed)
    b = _mlp(seed)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)
    return a, b


def _max_diff(a: nn.Module, b: nn.Module) -> float:
    pairs = zip(a.parameters(), b.parameters(), strict=True)
    return max(float((pa - pb).detach().abs().max()) for pa, pb in pairs)


def _train_steps(model, opt, X, y, steps, *, penalty=None, sched=None):
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(X) - y) ** 2)
        if penalty is not None:
            loss = loss + penalty(model)
        loss.backward()
        opt.step()
        if sched is not None:
            sched.step()


# --------------------------------------------------------------------------------------------
# conventions: decoupled decay converters
# --------------------------------------------------------------------------------------------


def test_adamw_converter_values_and_inverse():
    assert cv.adamw_weight_decay(0.01, lr=1e-3) == 0.02  # equal learning rates: exactly 2λ
    assert cv.lambda_from_adamw_weight_decay(0.02, lr=1e-3) == 0.01
    assert cv.adamw_weight_decay(0.025, lr=1e-3, sgd_lr=0.1) == pytest.approx(5.0, rel=1e-15)
    assert cv.adamw_weight_decay_from_sgd(5e-4, lr=1e-3, sgd_lr=0.1) == pytest.approx(0.05,
                                                                                      rel=1e-15)
    assert cv.sgd_weight_decay_from_adamw(0.05, lr=1e-3, sgd_lr=0.1) == pytest.approx(5e-4,
                                                                                      rel=1e-15)
    lam = np.array([0.0, 1e-4, 0.3])
    lr = np.array([1e-3, 0.1, 0.01])
    back = cv.lambda_from_adamw_weight_decay(cv.adamw_weight_decay(lam, lr, sgd_lr=0.05), lr,
                                             sgd_lr=0.05)
    np.testing.assert_allclose(back, lam, rtol=1e-15)
    assert cv.decay_rate(0.01, lr=0.1) == pytest.approx(0.002, rel=1e-15)
    assert cv.lambda_from_decay_rate(0.002, lr=0.1) == pytest.approx(0.01, rel=1e-15)
    # the per-step shrink is what is matched: lr·wd_adamw = 2·sgd_lr·λ
    wd = cv.adamw_weight_decay(0.3, lr=2e-3, sgd_lr=0.05)
    assert 2e-3 * wd == pytest.approx(2 * 0.05 * 0.3, rel=1e-14)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: cv.adamw_weight_decay(-1.0, lr=0.1), "lam must be non-negative"),
        (lambda: cv.adamw_weight_decay(float("nan"), lr=0.1), "lam must not be NaN"),
        (lambda: cv.adamw_weight_decay(0.1, lr=0.0), "lr must be strictly positive"),
        (lambda: cv.adamw_weight_decay(0.1, lr=0.1, sgd_lr=-1), "sgd_lr must be non-negative"),
        (lambda: cv.lambda_from_adamw_weight_decay(float("inf"), lr=0.1),
         "weight_decay must be finite"),
        (lambda: cv.decay_rate(10.0, lr=0.1), "must be < 1"),
        (lambda: cv.lambda_from_decay_rate(1.0, lr=0.1), r"rate must lie in \[0, 1\)"),
        (lambda: cv.adamw_weight_decay_from_sgd(0.1, lr=0.1, sgd_lr=float("nan")),
         "sgd_lr must not be NaN"),
    ],
)
def test_converter_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_converters_are_exported():
    for name in ("adamw_weight_decay", "lambda_from_adamw_weight_decay",
                 "adamw_weight_decay_from_sgd", "sgd_weight_decay_from_adamw", "decay_rate",
                 "lambda_from_decay_rate"):
        assert name in cv.__all__


# --------------------------------------------------------------------------------------------
# import hygiene
# --------------------------------------------------------------------------------------------


def test_ridgeline_does_not_import_torch_and_nn_names_the_extra():
    code = (
        "import sys\n"
        "import ridgeline\n"
        "assert 'torch' not in sys.modules, 'import ridgeline imported torch'\n"
        "sys.modules['torch'] = None\n"
        "try:\n"
        "    import ridgeline.nn\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert "pip install 'ridgeline[torch]'" in out.stdout


# --------------------------------------------------------------------------------------------
# masks
# --------------------------------------------------------------------------------------------


def test_default_mask_excludes_bias_norms_embeddings():
    mask = rn.decay_mask(Net())
    assert mask.decay == ("fc1.weight", "head.weight")
    assert set(mask.no_decay) == {"emb.weight", "fc1.bias", "norm.weight", "norm.bias",
                                  "bn.weight", "bn.bias", "head.bias"}
    assert mask.reasons["emb.weight"] == "embedding (Embedding)"
    assert mask.reasons["bn.weight"] == "normalization (BatchNorm1d)"
    assert mask.reasons["head.bias"] == "bias"
    assert mask.numel_decayed == 7 * 6 + 6 * 2
    text = mask.summary()
    for name in ("fc1.weight", "norm.bias", "emb.weight", "decayed: 2 tensors"):
        assert name in text


def test_mask_rules_by_pattern_type_and_override():
    mask = rn.decay_mask(Net(), no_decay=("head.*",), decay=(nn.Embedding,))
    assert mask.decay == ("emb.weight", "fc1.weight")
    assert mask.reasons["head.weight"] == "no_decay rule 'head.*'"
    assert mask.reasons["emb.weight"] == "decay rule Embedding"
    everything = rn.decay_mask(Net(), no_decay_types=(), exclude_bias=False)
    assert len(everything.decay) == len(dict(Net().named_parameters()))


def test_shared_parameter_listed_once():
    lin = nn.Linear(3, 3)
    model = nn.Sequential(lin, nn.ReLU(), lin)
    mask = rn.decay_mask(model)
    assert mask.decay == ("0.weight",)
    expected = float(lin.weight.detach().pow(2).sum())
    assert rn.l2_penalty(model, 1.0).item() == pytest.approx(expected)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"no_decay": ("encoder.*",)}, ValueError, "no_decay pattern 'encoder.\\*' matches no"),
        ({"decay": (nn.Conv2d,)}, ValueError, "decay type Conv2d matches no parameter"),
        ({"no_decay": (3,)}, TypeError, "torch.nn.Module subclasses"),
        ({"no_decay_types": (int,)}, TypeError, "no_decay_types must contain"),
    ],
)
def test_mask_bad_rules(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        rn.decay_mask(Net(), **kwargs)


def test_mask_bad_module():
    with pytest.raises(TypeError, match=r"module must be a torch.nn.Module; got dict"):
        rn.decay_mask({"w": torch.zeros(2)})
    with pytest.raises(ValueError, match="has no parameters"):
        rn.decay_mask(nn.ReLU())
    with pytest.raises(TypeError, match=r"expected\ a\ torch\.nn\.Module,\ a\ DecayMask"):
        rn.l2_penalty("model", 0.1)
    with pytest.raises(ValueError, match="excludes every parameter"):
        rn.WeightDecay(nn.LayerNorm(4), 0.1)


def test_param_groups_feed_torch_optimizers(capsys):
    model = Net()
    groups = rn.param_groups(model, 0.1, verbose=True)
    printed = capsys.readouterr().out
    assert "fc1.weight" in printed and "normalization (LayerNorm)" in printed
    assert [g["weight_decay"] for g in groups] == [0.1, 0.0]
    assert groups[0]["param_names"] == ["fc1.weight", "head.weight"]
    opt = torch.optim.SGD(groups, lr=0.1)
    assert len(opt.param_groups) == 2
    with pytest.raises(ValueError, match="weight_decay must be non-negative"):
        rn.param_groups(model, -0.1)
    with pytest.raises(ValueError, match="not with a mask"):
        rn.param_groups(rn.decay_mask(model), 0.1, no_decay=("head.*",))


@pytest.mark.parametrize("mode", ["coupled", "decoupled"])
def test_decay_leaves_biases_and_norms_untouched(mode):
    model = Net()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    rn.WeightDecay(model, 0.05, mode=mode).attach(opt)
    for p in model.parameters():
        p.grad = torch.zeros_like(p)  # only the decay moves anything
    opt.step()
    for name, p in model.named_parameters():
        if name in ("fc1.weight", "head.weight"):
            torch.testing.assert_close(p.detach(), before[name] * (1 - 0.1 * 2 * 0.05),
                                       rtol=0, atol=1e-7)
        else:
            assert torch.equal(p.detach(), before[name]), name


# --------------------------------------------------------------------------------------------
# l2_penalty and coupled decay against torch's own weight_decay
# --------------------------------------------------------------------------------------------


def test_l2_penalty_value_and_gradient():
    model = Net()
    lam = 0.37
    pen = rn.l2_penalty(model, lam)
    expected = lam * (model.fc1.weight.pow(2).sum() + model.head.weight.pow(2).sum())
    assert pen.item() == pytest.approx(expected.item(), rel=1e-6)
    pen.backward()
    torch.testing.assert_close(model.fc1.weight.grad, 2 * lam * model.fc1.weight.detach())
    assert model.fc1.bias.grad is None and model.norm.weight.grad is None
    lam_t = torch.tensor(0.37, requires_grad=True)
    rn.l2_penalty(model, lam_t).backward()
    assert lam_t.grad.item() == pytest.approx(expected.item() / lam, rel=1e-6)


@pytest.mark.parametrize("lam", [-0.1, float("nan"), float("inf")])
def test_l2_penalty_bad_lambda(lam):
    with pytest.raises(ValueError, match="lam must"):
        rn.l2_penalty(_mlp(), lam)


def test_l2_penalty_bool_lambda():
    with pytest.raises(TypeError, match="got a bool"):
        rn.l2_penalty(_mlp(), True)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_l2_penalty_sgd_equals_torch_sgd_weight_decay(momentum):
    X, y = _data()
    lam, lr = 0.05, 0.05
    ours, ref = _twin()
    opt_a = torch.optim.SGD(ours.parameters(), lr=lr, momentum=momentum)
    opt_b = torch.optim.SGD(rn.param_groups(ref, cv.torch_weight_decay(lam)), lr=lr,
                            momentum=momentum)
    for _ in range(40):
        _train_steps(ours, opt_a, X, y, 1, penalty=lambda m: rn.l2_penalty(m, lam))
        _train_steps(ref, opt_b, X, y, 1)
        assert _max_diff(ours, ref) < 1e-6
    assert _max_diff(ours, _mlp()) > 1e-2  # the models did move


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_coupled_weight_decay_equals_torch(optim):
    X, y = _data(1)
    lam, lr = 0.03, 0.02
    ours, ref = _twin(1)
    if optim == "sgd":
        opt_a = torch.optim.SGD(ours.parameters(), lr=lr, momentum=0.9, nesterov=True)
        opt_b = torch.optim.SGD(rn.param_groups(ref, 2 * lam), lr=lr, momentum=0.9,
                                nesterov=True)
    else:
        opt_a = torch.optim.Adam(ours.parameters(), lr=lr)
        opt_b = torch.optim.Adam(rn.param_groups(ref, 2 * lam), lr=lr)
    decay = rn.WeightDecay(ours, lam).attach(opt_a)
    for _ in range(30):
        _train_steps(ours, opt_a, X, y, 1)
        _train_steps(ref, opt_b, X, y, 1)
        assert _max_diff(ours, ref) < 1e-6
    assert decay.step_count == 30
    np.testing.assert_array_equal(decay.trajectory().lam, np.full(30, lam))


# --------------------------------------------------------------------------------------------
# decoupled decay against AdamW
# --------------------------------------------------------------------------------------------


def test_decoupled_weight_decay_equals_adamw_with_lr_schedule():
    X, y = _data(2)
    lam, lr = 0.4, 0.01
    ours, ref = _twin(2)
    opt_a = torch.optim.Adam(ours.parameters(), lr=lr)
    opt_b = torch.optim.AdamW(rn.param_groups(ref, cv.adamw_weight_decay(lam, lr)), lr=lr)
    rn.WeightDecay(ours, lam, mode="decoupled").attach(opt_a)
    sched_a = torch.optim.lr_scheduler.StepLR(opt_a, step_size=5, gamma=0.5)
    sched_b = torch.optim.lr_scheduler.StepLR(opt_b, step_size=5, gamma=0.5)
    for _ in range(30):
        _train_steps(ours, opt_a, X, y, 1, sched=sched_a)
        _train_steps(ref, opt_b, X, y, 1, sched=sched_b)
        assert _max_diff(ours, ref) < 1e-6
    assert _max_diff(ours, _mlp(2)) > 1e-2


def test_decoupled_with_sgd_equals_coupled():
    X, y = _data(3)
    ours, ref = _twin(3)
    opt_a = torch.optim.SGD(ours.parameters(), lr=0.05)
    opt_b = torch.optim.SGD(rn.param_groups(ref, 2 * 0.1), lr=0.05)
    rn.WeightDecay(ours, 0.1, mode="decoupled").attach(opt_a)
    for _ in range(20):
        _train_steps(ours, opt_a, X, y, 1)
        _train_steps(ref, opt_b, X, y, 1)
    assert _max_diff(ours, ref) < 1e-6


def test_independent_of_lr_ignores_lr_schedule():
    model = _mlp(4)
    w0 = model[0].weight.detach().clone()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    decay = rn.WeightDecay(model, 0.5, mode="decoupled", independent_of_lr=True).attach(opt)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.1)
    for _ in range(4):  # zero loss gradient: Adam moves nothing, only the decay acts
        for p in model.parameters():
            p.grad = torch.zeros_like(p)
        opt.step()
        sched.step()
    assert decay.ref_lr == 0.01
    torch.testing.assert_close(model[0].weight.detach(), w0 * (1 - 2 * 0.01 * 0.5) ** 4,
                               rtol=1e-6, atol=0)


def test_schedules_callable_torch_and_followed():
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    step = rn.TorchSchedule(lambda o: torch.optim.lr_scheduler.StepLR(o, 2, gamma=0.5))
    assert [step(t) for t in range(5)] == [1.0, 1.0, 0.5, 0.5, 0.25]
    d1 = rn.WeightDecay(model, 0.2, schedule=lambda t: 1.0 / (1 + t)).attach(opt)
    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5**t)
    d2 = rn.WeightDecay([model[2].weight], 0.1, schedule=lr_sched)
    X, y = _data()
    for _ in range(3):
        d2.step()  # by hand, before the step that the scheduler then advances
        _train_steps(model, opt, X, y, 1, sched=lr_sched)
    np.testing.assert_allclose(d1.trajectory().lam, [0.2, 0.1, 0.2 / 3], rtol=1e-15)
    np.testing.assert_allclose(d2.trajectory().lam, [0.1, 0.05, 0.025], rtol=1e-15)
    bad = rn.WeightDecay(model, 0.1, schedule=lambda t: -1.0)
    with pytest.raises(ValueError, match=r"schedule\(0\) must be non-negative"):
        bad.step()


def test_weight_decay_bad_input_and_misuse():
    model = _mlp()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="lam must be non-negative"):
        rn.WeightDecay(model, -1e-3)
    with pytest.raises(ValueError, match="lam must not be NaN"):
        rn.WeightDecay(model, float("nan"))
    with pytest.raises(ValueError, match="mode must be"):
        rn.WeightDecay(model, 0.1, mode="l2")
    with pytest.raises(ValueError, match="decoupled decay only"):
        rn.WeightDecay(model, 0.1, independent_of_lr=True)
    with pytest.raises(TypeError, match=r"optimizer\ must\ be\ a\ torch\.optim\.Optimizer"):
        rn.WeightDecay(model, 0.1).attach("sgd")
    decay = rn.WeightDecay(model, 0.1).attach(opt)
    with pytest.raises(ValueError, match="already attached"):
        decay.attach(opt)
    with pytest.raises(RuntimeError, match=r"attached\ WeightDecay\ runs\ on\ optimizer\.step"):
        decay.step()
    with pytest.raises(ValueError, match="does not optimize the decayed parameter"):
        rn.WeightDecay(model, 0.1).attach(torch.optim.SGD([model[0].bias], lr=0.1))
    with pytest.warns(UserWarning, match="decayed twice"):
        rn.WeightDecay(model, 0.1).attach(torch.optim.AdamW(model.parameters()))
    with pytest.raises(ValueError, match="needs the learning rate"):
        rn.WeightDecay(model, 0.1, mode="decoupled").step()
    big = rn.WeightDecay(model, 10.0, mode="decoupled")
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    with pytest.raises(ValueError, match=r"2·lr·λ = 2 >= 1"):
        big.step(lr=0.1)


def test_coupled_decay_refuses_closure_optimizers():
    model = _mlp()
    X, y = _data()
    opt = torch.optim.LBFGS(model.parameters(), lr=0.1, max_iter=2)
    rn.WeightDecay(model, 0.1).attach(opt)

    def closure():
        opt.zero_grad()
        loss = torch.mean((model(X) - y) ** 2)
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="add l2_penalty"):
        opt.step(closure)


# --------------------------------------------------------------------------------------------
# GroupL2
# --------------------------------------------------------------------------------------------


def _conv_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Conv2d(4, 6, 3), nn.ReLU(),
                         nn.Flatten(), nn.Linear(6 * 4, 5), nn.ReLU(), nn.Linear(5, 3))


def test_group_prox_zeroes_below_threshold_and_shrinks_the_rest():
    model = _conv_net()
    eta, lam = 0.5, 0.2
    with torch.no_grad():  # scale channels so that some norms fall below the threshold
        model[0].weight.mul_(torch.tensor([0.05, 1.0, 0.01, 2.0]).view(-1, 1, 1, 1))
        model[5].weight[1].mul_(0.01)
    before = {n: p.detach().double().numpy().copy() for n, p in model.named_parameters()}
    group = rn.GroupL2(model, lam)
    assert group.layer_names == ("0", "2", "5")  # the last Linear (the logits) is excluded
    result = group.prox(eta)
    zero_count = 0
    for layer in ("0", "2", "5"):
        w0 = before[f"{layer}.weight"]
        w1 = dict(model.named_parameters())[f"{layer}.weight"].detach().double().numpy()
        rows0 = w0.reshape(w0.shape[0], -1)
        rows1 = w1.reshape(w1.shape[0], -1)
        tau = eta * lam * math.sqrt(rows0.shape[1])
        for g in range(rows0.shape[0]):
            norm = np.linalg.norm(rows0[g])
            if norm <= tau:
                assert np.all(rows1[g] == 0.0)  # exactly zero
                zero_count += 1
            else:
                np.testing.assert_allclose(rows1[g], rows0[g] * (1 - tau / norm), rtol=1e-6,
                                           atol=1e-9)
        np.testing.assert_array_equal(  # biases are not in the groups by default
            before[f"{layer}.bias"], dict(model.named_parameters())[f"{layer}.bias"].detach()
            .double().numpy())
    assert zero_count >= 3  # channels 0 and 2 of conv 0, neuron 1 of layer 5
    assert result.n_zero == zero_count
    assert result.n_groups == 4 + 6 + 5
    report = group.report()
    assert report.removed()["0"][:2] == [0, 2] and 1 in report.removed()["5"]
    assert report.n_removed == zero_count
    assert "removed" in report.summary()


def test_group_prox_user_labels_and_bias():
    torch.manual_seed(0)
    lin = nn.Linear(4, 3)
    model = nn.Sequential(lin)
    labels = np.array([[0, 0, 1, 1], [2, 2, -1, -1], [0, 1, 2, 7]])
    with torch.no_grad():
        lin.weight.copy_(torch.tensor([[0.1, 0.1, 3.0, 1.0],
                                       [0.5, -0.5, 9.0, 9.0],
                                       [0.05, 2.0, 0.5, 0.02]]))
    w0 = lin.weight.detach().double().numpy().copy()
    group = rn.GroupL2(model, 1.0, groups={"0.weight": labels})
    group.prox(0.2)
    w1 = lin.weight.detach().double().numpy()
    for label in (0, 1, 2, 7):
        sel = labels == label
        norm = np.linalg.norm(w0[sel])
        tau = 0.2 * 1.0 * math.sqrt(sel.sum())
        expected = np.zeros(sel.sum()) if norm <= tau else w0[sel] * (1 - tau / norm)
        np.testing.assert_allclose(w1[sel], expected, rtol=1e-6, atol=1e-12)
    np.testing.assert_array_equal(w1[labels == -1], w0[labels == -1])  # ungrouped entries
    assert group.report().removed() == {"0.weight": [0, 7]}
    # include_bias: a neuron's bias joins its group, so a removed neuron outputs exactly 0
    torch.manual_seed(1)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    g2 = rn.GroupL2(net, 100.0, include_bias=True)
    g2.prox(1.0)
    assert torch.count_nonzero(net[0].weight) == 0 and torch.count_nonzero(net[0].bias) == 0
    assert torch.count_nonzero(net[2].weight) > 0  # the output layer is excluded


def test_group_l2_proximal_sgd_reaches_group_lasso_optimum():
    """Full-batch proximal gradient on a linear model: check the group-lasso KKT conditions."""
    rng = np.random.default_rng(0)
    n, p = 60, 6
    X = rng.normal(size=(n, p))
    y = X[:, :2] @ np.array([1.5, -2.0]) + 0.5 * rng.normal(size=n)
    labels = np.array([[0, 0, 1, 1, 2, 2]])
    lin = nn.Linear(p, 1).double()
    Xt, yt = torch.tensor(X), torch.tensor(y)[:, None]
    lam = 0.15
    lr = 0.5 / (2 * np.linalg.eigvalsh(X.T @ X / n).max())  # below 1/L
    opt = torch.optim.SGD(lin.parameters(), lr=lr)
    rn.GroupL2(lin, lam, groups={"weight": labels}).attach(opt)
    for _ in range(3000):
        opt.zero_grad()
        torch.mean((lin(Xt) - yt) ** 2).backward()
        opt.step()
    w = lin.weight.detach().numpy().ravel()
    b = float(lin.bias.detach())
    grad = -2 * X.T @ (y - X @ w - b) / n  # gradient of the mean squared error
    for g in range(3):
        idx = slice(2 * g, 2 * g + 2)
        bound = lam * math.sqrt(2)
        if np.all(w[idx] == 0):
            assert np.linalg.norm(grad[idx]) <= bound + 1e-8
        else:
            np.testing.assert_allclose(grad[idx] + bound * w[idx] / np.linalg.norm(w[idx]), 0,
                                       atol=1e-7)
    assert np.all(w[4:] == 0) and np.all(w[:2] != 0)  # the noise group is removed exactly


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"groups": {"0.weight": np.zeros((3, 4), dtype=int)}}, ValueError,
         r"has shape \(3, 4\) but the parameter has shape \(5, 4\)"),
        ({"groups": {"nope.weight": 0}}, ValueError, "groups names no parameter 'nope.weight'"),
        ({"groups": {"0.weight": np.zeros((5, 4))}}, TypeError, "integer label array"),
        ({"groups": {"0.weight": 2}}, ValueError, "is not a dimension"),
        ({"groups": {"0.weight": -np.ones((5, 4), dtype=int)}}, ValueError, "all labels are -1"),
        ({"exclude": ("conv*",)}, ValueError, "exclude pattern 'conv\\*' matches no grouped"),
        ({"lam": -1.0}, ValueError, "lam must be non-negative"),
        ({"layers": (nn.ConvTranspose2d,)}, ValueError, "use groups="),
    ],
)
def test_group_l2_bad_input(kwargs, exc, match):
    model = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    lam = kwargs.pop("lam", 0.1)
    with pytest.raises(exc, match=match):
        rn.GroupL2(model, lam, **kwargs)


def test_group_l2_no_groups_and_not_a_module():
    with pytest.raises(ValueError, match="no group to penalize"):
        rn.GroupL2(nn.Sequential(nn.Linear(3, 2)), 0.1)  # its only layer is the output layer
    with pytest.raises(TypeError, match=r"module\ must\ be\ a\ torch\.nn\.Module"):
        rn.GroupL2([nn.Linear(3, 2)], 0.1)


def test_group_l2_penalty_value():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    w = model[0].weight.detach().double()
    expected = 0.3 * math.sqrt(3) * float(w.norm(dim=1).sum())
    assert rn.GroupL2(model, 0.3).penalty() == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# adaptive controllers
# --------------------------------------------------------------------------------------------


def _regression_split(n_train: int, seed: int = 0, p: int = 20, noise: float = 1.0):
    g = torch.Generator().manual_seed(seed)
    w = torch.zeros(p, 1)
    w[:3] = torch.tensor([[2.0], [-1.5], [1.0]])
    X = torch.randn(n_train + 200, p, generator=g)
    y = X @ w + noise * torch.randn(n_train + 200, 1, generator=g)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def _run_controller(make_controller, lam0: float, n_train: int, steps: int = 150):
    Xtr, ytr, Xva, yva = _regression_split(n_train)
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(Xtr.shape[1], 64), nn.Tanh(), nn.Linear(64, 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    decay = rn.WeightDecay(model, lam0, mode="decoupled").attach(opt)
    ctrl = make_controller(decay)
    for _ in range(steps):
        opt.zero_grad()
        loss = torch.mean((model(Xtr) - ytr) ** 2)
        loss.backward()
        opt.step()
        ctrl.update(val_loss=lambda: torch.mean((model(Xva) - yva) ** 2),
                    train_loss=loss.detach())
    return ctrl


CONTROLLERS = {
    "hypergradient": lambda d: rn.HypergradientLambda(d, hyper_lr=0.05),
    "hypergradient-cosine": lambda d: rn.HypergradientLambda(d, hyper_lr=0.5,
                                                             normalize="cosine"),
    "gap": lambda d: rn.GapLambda(d, rate=0.05),
}


@pytest.mark.parametrize("name", list(CONTROLLERS))
def test_controller_raises_lambda_when_overfitting(name):
    ctrl = _run_controller(CONTROLLERS[name], lam0=1e-3, n_train=15)  # 15 rows, 20 features
    hist = ctrl.history()
    assert len(hist.steps) == 150
    assert ctrl.lam > 10 * 1e-3
    assert hist.lam[-1] == ctrl.lam


@pytest.mark.parametrize("name", list(CONTROLLERS))
def test_controller_lowers_lambda_when_underfitting(name):
    ctrl = _run_controller(CONTROLLERS[name], lam0=20.0, n_train=400)  # decay 2ηλ = 0.4/step
    assert ctrl.lam < 20.0 / 10


def test_hypergradient_matches_autograd_through_the_unrolled_step():
    """h = ∂L_val(w_{t+1})/∂log λ with w_{t+1} = w_t − η(g_t + 2λw_t), nothing else."""
    X, y = _data(5)
    Xv, yv = _data(6)
    model = _mlp(5)
    lam, lr = 0.07, 0.1
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    decay = rn.WeightDecay(model, lam).attach(opt)
    ctrl = rn.HypergradientLambda(decay)
    w0 = [p.detach().clone() for p in model.parameters()]
    opt.zero_grad()
    torch.mean((model(X) - y) ** 2).backward()
    g0 = [p.grad.detach().clone() for p in model.parameters()]  # loss gradient only
    opt.step()
    grads_after = [p.grad.detach().clone() for p in model.parameters()]
    val = lambda: torch.mean((model(Xv) - yv) ** 2)  # noqa: E731
    h, scale = ctrl.hypergradient(val)
    # the parameters' .grad is untouched by the validation pass
    for p, g in zip(model.parameters(), grads_after, strict=True):
        assert torch.equal(p.grad, g)
    # explicit unrolled step, differentiable in θ = log λ; biases are not decayed
    theta = torch.tensor(math.log(lam), dtype=torch.float64, requires_grad=True)
    decayed = {id(p) for p in decay.parameters}
    new = []
    for p, w, g in zip(model.parameters(), w0, g0, strict=True):
        pen = 2 * torch.exp(theta) * w.double() if id(p) in decayed else 0.0
        new.append(w.double() - lr * (g.double() + pen))
    names = [n for n, _ in model.named_parameters()]
    pred = torch.func.functional_call(model, dict(zip(names, new, strict=True)),
                                      (Xv.double(),))
    loss = torch.mean((pred - yv.double()) ** 2)
    (ref,) = torch.autograd.grad(loss, theta)
    assert h == pytest.approx(float(ref), rel=1e-4, abs=1e-9)
    # the cosine's scale is ‖∇L_val‖·‖2ηλw‖ over the decayed weights
    val_grads = torch.autograd.grad(val(), decay.parameters)
    g_norm = math.sqrt(sum(float(g.double().pow(2).sum()) for g in val_grads))
    w_decayed = [w for p, w in zip(model.parameters(), w0, strict=True) if id(p) in decayed]
    s_norm = 2 * lr * lam * math.sqrt(sum(float(w.double().pow(2).sum()) for w in w_decayed))
    assert scale == pytest.approx(g_norm * s_norm, rel=1e-5)
    # the first RMS-normalized update moves log λ by exactly β against the sign of h
    ctrl.update(val_loss=val)
    assert ctrl.log_lam == pytest.approx(math.log(lam) - 0.01 * math.copysign(1.0, h), abs=1e-12)
    # λ never enters any graph: parameters stay leaves without grad_fn
    assert all(p.is_leaf and p.grad_fn is None for p in model.parameters())


def test_no_gradient_leaks_into_lambda_during_training():
    ctrl = _run_controller(CONTROLLERS["hypergradient"], lam0=0.01, n_train=30, steps=5)
    decay = ctrl.decay
    assert isinstance(decay.lam, float) and isinstance(ctrl.log_lam, float)
    for p in decay.parameters:
        assert p.is_leaf and p.grad_fn is None
    # a training loss built after control steps has no path to λ: its graph reaches only
    # the model's parameters
    model_params = set(map(id, decay.parameters))
    stack = [rn.l2_penalty(decay.parameters, decay.lam).grad_fn]
    leaves = set()
    while stack:
        fn = stack.pop()
        if fn is None:
            continue
        if hasattr(fn, "variable"):
            leaves.add(id(fn.variable))
        stack.extend(f for f, _ in fn.next_functions)
    assert leaves == model_params


def test_controllers_log_and_validate(caplog):
    with caplog.at_level(logging.DEBUG, logger="ridgeline.nn.adaptive"):
        ctrl = _run_controller(lambda d: rn.GapLambda(d, every=5, log_every=2), 0.01, 30,
                               steps=20)
    assert len(ctrl.history().steps) == 4  # calls 1, 6, 11, 16
    np.testing.assert_array_equal(ctrl.history().steps, [1, 6, 11, 16])
    assert sum("gap step" in r.message for r in caplog.records) == 6  # 4 DEBUG + 2 INFO
    decay = rn.WeightDecay(_mlp(), 0.0)
    with pytest.raises(ValueError, match="start the WeightDecay at λ > 0"):
        rn.HypergradientLambda(decay)
    decay.lam = 0.1
    with pytest.raises(ValueError, match="normalize must be"):
        rn.HypergradientLambda(decay, normalize="l2")
    with pytest.raises(ValueError, match="every must be >= 1"):
        rn.GapLambda(decay, every=0)
    with pytest.raises(TypeError, match=r"decay\ must\ be\ a\ ridgeline\.nn\.WeightDecay"):
        rn.GapLambda(object())
    with pytest.raises(ValueError, match="lam_min"):
        rn.GapLambda(decay, lam_min=1.0, lam_max=0.5)
    decay.step()  # a step taken before any controller tracked it
    with pytest.raises(ValueError, match="train_loss is required"):
        rn.GapLambda(decay).update(val_loss=lambda: torch.tensor(1.0))
    with pytest.raises(RuntimeError, match="no decay step recorded"):
        rn.HypergradientLambda(decay).update(val_loss=lambda: torch.tensor(1.0))
    with pytest.raises(TypeError, match="val_loss must be a callable"):
        rn.GapLambda(decay).update(val_loss=1.0, train_loss=1.0)


# --------------------------------------------------------------------------------------------
# compare_weight_decay
# --------------------------------------------------------------------------------------------


def _toy_train_fn(record):
    Xtr, ytr, Xva, yva = _regression_split(20, seed=1)

    def train(trial):
        torch.manual_seed(trial.seed)
        model = nn.Sequential(nn.Linear(20, 16), nn.Tanh(), nn.Linear(16, 1))
        record.append((trial.name, model[0].weight.detach().clone()))
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        trial.weight_decay(model, opt, mode="decoupled")
        for _ in range(trial.steps):
            opt.zero_grad()
            loss = torch.mean((model(Xtr) - ytr) ** 2)
            loss.backward()
            opt.step()
            trial.after_step(val_loss=lambda: torch.mean((model(Xva) - yva) ** 2),
                             train_loss=loss.detach())
        with torch.no_grad():
            val = float(torch.mean((model(Xva) - yva) ** 2))
        return rn.TrialOutcome(val, test_loss=2 * val, metrics={"train": float(loss.detach())})

    return train


def test_compare_weight_decay_runs_everything_on_one_budget():
    record = []
    res = rn.compare_weight_decay(_toy_train_fn(record), steps=15, grid=(1e-2, 1e-1, 1.0))
    assert [r.name for r in res.runs] == ["no decay", "λ=0.01", "λ=0.1", "λ=1", "hypergradient",
                                          "gap"]
    assert all(r.steps == 15 for r in res.runs)
    assert res.grid_steps == 45 and res.step_fraction("gap") == pytest.approx(1 / 3)
    assert res.best_constant.val_loss == min(r.val_loss for r in res.grid)
    assert res["hypergradient"].lam_start == pytest.approx(0.1)  # geometric mean of the grid
    assert res["hypergradient"].val_evals == 15 and res["λ=0.1"].val_evals == 0
    assert len(res["gap"].trajectory) == 15
    assert res["no decay"].lam_final == 0.0
    # the same initialization in every run
    for _, w in record[1:]:
        assert torch.equal(w, record[0][1])
    text = res.summary()
    assert "best constant" in text and "hypergradient" in text
    json.dumps(res.to_dict())
    assert res.relative_val_loss(res.best_constant.name) == 0.0


def test_compare_weight_decay_enforces_the_budget():
    def greedy(trial):
        model = _mlp()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        trial.weight_decay(model, opt)
        X, y = _data()
        for _ in range(trial.steps + 2):
            _train_steps(model, opt, X, y, 1)
            trial.after_step(val_loss=lambda: torch.tensor(0.0))
        return 0.0

    with pytest.raises(RuntimeError, match="exceed the budget"):
        rn.compare_weight_decay(greedy, steps=3, grid=(0.1,), adaptive={})

    def lazy(trial):
        return 1.0

    with pytest.raises(ValueError, match=r"did\ not\ call\ trial\.weight_decay"):
        rn.compare_weight_decay(lazy, steps=3, grid=(0.1,), adaptive={})
    with pytest.raises(ValueError, match="grid values must be > 0"):
        rn.compare_weight_decay(lazy, steps=3, grid=(0.0, 0.1))
    with pytest.raises(ValueError, match="grid value must be non-negative"):
        rn.compare_weight_decay(lazy, steps=3, grid=(-0.1,))
