"""Online estimates the pacer needs, made to follow a day that changes.

- Rates (live answer, machine, no answer, busy): an exponentially weighted mean with an
  effective memory of ``memory`` observations (a plain mean until then), watched by two
  one-sided Bernoulli CUSUMs (Page's test) for a rise to ``ratio`` times the current estimate or
  a fall to 1 / ``ratio`` of it. On an alarm the estimate restarts from the observations since
  that CUSUM last stood at zero (its estimate of the change point): the old regime is forgotten
  at once instead of being averaged away over ``memory`` observations.
- Ring time: a lognormal by weighted moments of the logs, with the same forgetting and a CUSUM on
  the standardised log for a shift of ``shift`` standard deviations either way.
- Talk time: the calls of memory are the last connected ones (weights decay per call
  connected, not per call ended), and the calls still talking count as right-censored at their
  elapsed time: the fit is the censored maximum likelihood (EM over the open calls, one step
  per refit from the last fit). A call that has talked longer than the model finds likely
  pulls the estimate up while it is still talking, so a longer talk time shows before those
  calls end; weighting by connection order keeps the long calls still running from being
  left out (completions alone favour the short ones).
- Wrap-up time: a lognormal tracked like ring time. Talk and wrap-up apart, because the pacer
  knows which agents are in wrap-up: they are free soon, whatever their call's length.

Priors keep the first decisions sensible; observations take over as they accumulate.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import erfcx, ndtr


class TrackedRate:
    """A probability tracked with forgetting and change detection (see the module docstring)."""

    __slots__ = ("alarms", "down", "h", "memory", "n", "p", "ratio", "up", "win_down", "win_up")

    def __init__(
        self,
        prior: float,
        weight: float = 20.0,
        *,
        memory: float = 600.0,
        h: float = 10.0,
        ratio: float = 2.0,
    ) -> None:
        self.p = prior
        self.n = weight  # the weight behind the estimate, at most ``memory``
        self.memory = memory
        self.h = h
        self.ratio = ratio
        self.up = self.down = 0.0  # the two CUSUM statistics
        self.win_up = [0, 0]  # [hits, trials] since each CUSUM last stood at zero
        self.win_down = [0, 0]
        self.alarms = 0

    @property
    def value(self) -> float:
        return self.p

    def observe(self, hit: bool) -> None:
        p0 = min(max(self.p, 0.002), 0.998)
        p_up = min(p0 * self.ratio, 0.999)
        p_dn = p0 / self.ratio
        if hit:
            l_up, l_dn = math.log(p_up / p0), math.log(p_dn / p0)
        else:
            l_up, l_dn = math.log((1 - p_up) / (1 - p0)), math.log((1 - p_dn) / (1 - p0))
        self.up, self.win_up = _step(self.up + l_up, self.win_up, hit)
        self.down, self.win_down = _step(self.down + l_dn, self.win_down, hit)
        self.n = min(self.n + 1.0, self.memory)
        self.p += (hit - self.p) / self.n
        for s, win in ((self.up, self.win_up), (self.down, self.win_down)):
            if s >= self.h:
                self.alarms += 1
                self.p = win[0] / win[1]
                self.n = float(win[1])
                self.up = self.down = 0.0
                self.win_up, self.win_down = [0, 0], [0, 0]
                break

    def snapshot(self) -> list[float]:
        return [self.p, self.n]

    def restore(self, saved: list[float]) -> None:
        self.p, self.n = float(saved[0]), min(float(saved[1]), self.memory)


def _step(s: float, win: list[int], hit: bool) -> tuple[float, list[int]]:
    """One CUSUM step: at zero the window of the change empties; above it, takes the hit."""
    if s <= 0.0:
        return 0.0, [0, 0]
    return s, [win[0] + hit, win[1] + 1]


def _moments(mean: float, cv: float) -> tuple[float, float]:
    """(mean, mean square) of the log of a lognormal with this mean and coefficient of variation."""
    sigma2 = math.log1p(cv * cv)
    mu = math.log(mean) - sigma2 / 2
    return mu, sigma2 + mu * mu


class TrackedLogNormal:
    """A lognormal duration tracked with forgetting and a CUSUM on the mean of its log."""

    __slots__ = (
        "alarms",
        "down",
        "h",
        "m1",
        "m2",
        "memory",
        "n",
        "shift",
        "up",
        "win_down",
        "win_up",
    )

    def __init__(
        self,
        mean: float,
        cv: float,
        weight: float = 10.0,
        *,
        memory: float = 400.0,
        h: float = 10.0,
        shift: float = 0.5,
    ) -> None:
        self.m1, self.m2 = _moments(mean, cv)
        self.n = weight
        self.memory = memory
        self.h = h
        self.shift = shift
        self.up = self.down = 0.0
        self.win_up = [0.0, 0.0]  # [count, sum of logs] since each CUSUM last stood at zero
        self.win_down = [0.0, 0.0]
        self.alarms = 0

    @property
    def mu(self) -> float:
        return self.m1

    @property
    def sigma(self) -> float:
        return math.sqrt(max(self.m2 - self.m1 * self.m1, 1e-6))

    def observe(self, seconds: float) -> None:
        x = math.log(max(seconds, 0.05))
        sigma = self.sigma
        z = (x - self.m1) / sigma
        d = self.shift
        self.up, self.win_up = _step_sum(self.up + d * z - d * d / 2, self.win_up, x)
        self.down, self.win_down = _step_sum(self.down - d * z - d * d / 2, self.win_down, x)
        self.n = min(self.n + 1.0, self.memory)
        self.m1 += (x - self.m1) / self.n
        self.m2 += (x * x - self.m2) / self.n
        for s, win in ((self.up, self.win_up), (self.down, self.win_down)):
            if s >= self.h:
                # The recent window's mean; its spread is too few points to trust: keep sigma.
                self.alarms += 1
                self.m1 = win[1] / win[0]
                self.m2 = sigma * sigma + self.m1 * self.m1
                self.n = win[0]
                self.up = self.down = 0.0
                self.win_up, self.win_down = [0.0, 0.0], [0.0, 0.0]
                break

    def frozen(self) -> Frozen:
        """The current fit, for a burst of evaluations (one decision)."""
        return Frozen(self.mu, self.sigma)

    def snapshot(self) -> list[float]:
        return [self.m1, self.m2, self.n]

    def restore(self, saved: list[float]) -> None:
        self.m1, self.m2 = float(saved[0]), float(saved[1])
        self.n = min(float(saved[2]), self.memory)


def _step_sum(s: float, win: list[float], x: float) -> tuple[float, list[float]]:
    if s <= 0.0:
        return 0.0, [0.0, 0.0]
    return s, [win[0] + 1.0, win[1] + x]


class OpenCalls:
    """The calls still talking, as arrays in the order they connected (what the fit sums over,
    in that order), kept up to date call by call: a decision must not rebuild them."""

    __slots__ = ("_at", "_keys", "_num")

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._at = np.empty(64)  # connected at, by position
        self._num = np.empty(64)  # start number, by position

    def __len__(self) -> int:
        return len(self._keys)

    def put(self, key: str, at: float, num: int, known: bool) -> None:
        """Open ``key``; a key already open keeps its place (as in a dict) with the new values."""
        i = self._keys.index(key) if known else len(self._keys)
        if not known:
            if i == len(self._at):
                self._at = np.concatenate((self._at, np.empty(i)))
                self._num = np.concatenate((self._num, np.empty(i)))
            self._keys.append(key)
        self._at[i], self._num[i] = at, num

    def remove(self, key: str) -> None:
        i = self._keys.index(key)
        del self._keys[i]
        m = len(self._keys)
        self._at[i:m] = self._at[i + 1 : m + 1]
        self._num[i:m] = self._num[i + 1 : m + 1]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(connected at, start number) of each open call, views valid until the next change."""
        m = len(self._keys)
        return self._at[:m], self._num[:m]


_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
# Past this many sigmas, P(longer than so far) is under 1e-300, where the fit has always
# clamped it (and the Mills ratio with it): such a step is taken as it always was.
_MILLS_EXACT = 37.0


def _conditional_sums_clamped(
    a: np.ndarray, mu: float, sigma: float, w: np.ndarray
) -> tuple[float, float]:
    """The E-step's weighted sums of E[log] and E[log^2] with the tail clamped at 1e-300."""
    tail = np.maximum(ndtr(-a), 1e-300)
    mills = np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi) / tail
    ex = mu + sigma * mills
    ex2 = sigma * sigma * (1.0 + a * mills - mills * mills) + ex * ex
    return float((w * ex).sum()), float((w * ex2).sum())


class CensoredLogNormal:
    """Talk time: a lognormal over the last ``memory`` connected calls, the ones still in
    progress counted as right-censored (see the module docstring)."""

    __slots__ = (
        "_calls",
        "_em",
        "_fit",
        "_fit_at",
        "lam",
        "open",
        "refit",
        "s0",
        "s1",
        "s2",
        "starts",
    )

    def __init__(
        self, mean: float, cv: float, weight: float = 20.0, *, memory: float = 200.0
    ) -> None:
        m1, m2 = _moments(mean, cv)
        self.lam = 1.0 - 1.0 / memory  # a connected call ages every other call by this factor
        self.s0, self.s1, self.s2 = weight, weight * m1, weight * m2  # completed calls (+ prior)
        self.starts = 0
        self.open: dict[str, tuple[float, int]] = {}  # key -> (connected at, start number)
        self._calls = OpenCalls()  # the same, as arrays for the fit
        self.refit = 1.0  # seconds a fit is reused for (decisions come many times a second)
        self._fit: Frozen | None = None
        self._fit_at = -math.inf
        self._em: tuple[float, float] | None = None  # the last censored fit: EM starts there

    def started(self, key: str, now: float) -> None:
        self.starts += 1
        lam = self.lam
        self.s0 *= lam
        self.s1 *= lam
        self.s2 *= lam
        self._calls.put(key, now, self.starts, key in self.open)
        self.open[key] = (now, self.starts)
        self._fit = None

    def ended(self, key: str, seconds: float) -> None:
        item = self.open.pop(key, None)
        if item is not None:
            self._calls.remove(key)
        w = self.lam ** (self.starts - item[1]) if item is not None else 1.0
        x = math.log(max(seconds, 0.05))
        self.s0 += w
        self.s1 += w * x
        self.s2 += w * x * x
        self._fit = None

    def completed(self) -> Frozen:
        """The fit of completed calls alone (what a model without censoring would say)."""
        mu = self.s1 / self.s0
        return Frozen(mu, math.sqrt(max(self.s2 / self.s0 - mu * mu, 1e-6)))

    def frozen(self, now: float, steps: int = 3) -> Frozen:
        """The censored fit at ``now``: EM over the calls in progress. From the completed
        calls' fit ``steps`` steps; from the last censored fit one (a fit is asked for many
        times a second and moves little between asks, so EM's iterations are spread over
        them: each ask takes the fixed point one step further)."""
        if self._fit is not None and now - self._fit_at < self.refit:
            return self._fit
        fit = self.completed()
        if not self.open:
            self._em = None
        else:
            at, num = self._calls.arrays()
            log_e = np.log(np.maximum(now - at, 0.05))
            w = self.lam ** (self.starts - num)
            w_sum = float(w.sum())
            total = self.s0 + w_sum
            log_max = float(log_e.max())
            mu, sigma = fit.mu, fit.sigma
            if self._em is not None:
                (mu, sigma), steps = self._em, 1
            for _ in range(steps):
                # E-step: each open call's expected log and log squared, given it has lasted
                # so far; M-step: their weighted means with the completed calls' sums.
                if (log_max - mu) / sigma > _MILLS_EXACT:
                    a = (log_e - mu) / sigma
                    s_ex, s_ex2 = _conditional_sums_clamped(a, mu, sigma, w)
                else:
                    # With b = a / sqrt 2, a = (log - mu) / sigma, the inverse Mills ratio
                    # phi(a) / (1 - Phi(a)) is sqrt(2 / pi) / erfcx(b); E[log] = mu + sigma m and
                    # E[log^2] = sigma^2 (1 + a m) + mu^2 + 2 mu sigma m (the m^2 terms cancel).
                    b = log_e - mu
                    b *= 1.0 / (sigma * _SQRT2)
                    mills = erfcx(b)
                    np.divide(_SQRT_2_OVER_PI, mills, out=mills)
                    s_m = float(w.dot(mills))
                    mills *= b
                    s_am = _SQRT2 * float(w.dot(mills))
                    s_ex = mu * w_sum + sigma * s_m
                    s_ex2 = (sigma * sigma + mu * mu) * w_sum
                    s_ex2 += sigma * (sigma * s_am + 2 * mu * s_m)
                mu, m2 = (self.s1 + s_ex) / total, (self.s2 + s_ex2) / total
                sigma = math.sqrt(max(m2 - mu * mu, 1e-6))
            fit = Frozen(float(mu), float(sigma))
            self._em = (fit.mu, fit.sigma)
        self._fit, self._fit_at = fit, now
        return fit

    def snapshot(self) -> list[float]:
        return [self.s0, self.s1, self.s2]

    def restore(self, saved: list[float]) -> None:
        # Calls open at the stop are not coming back to this model: only the completed ones.
        self.s0, self.s1, self.s2 = (float(x) for x in saved[:3])
        self._fit = self._em = None


class Frozen:
    """A fixed lognormal: CDF and conditional completion probabilities, vectorised."""

    __slots__ = ("mu", "sigma")

    def __init__(self, mu: float, sigma: float) -> None:
        self.mu = mu
        self.sigma = sigma

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma * self.sigma / 2)

    def cdf(self, t: np.ndarray) -> np.ndarray:
        # t <= 0 maps to log(1e-12): a CDF of zero to double precision for any sane fit.
        return self.cdf_of_log(np.log(np.maximum(t, 1e-12)))

    def cdf_of_log(self, log_t: np.ndarray) -> np.ndarray:
        """The CDF at the times whose logs are ``log_t`` (for fixed grids, logged once)."""
        z = log_t - self.mu
        z /= self.sigma
        return ndtr(z, out=z)  # type: ignore[no-any-return]

    def p_done_within(self, elapsed: np.ndarray, horizons: np.ndarray) -> np.ndarray:
        """P(duration <= elapsed + h | duration > elapsed), shape (len(elapsed), len(h))."""
        f_e = self.cdf(elapsed)[:, None]
        f_eh = self.cdf(elapsed[:, None] + horizons[None, :])
        return np.clip((f_eh - f_e) / np.maximum(1.0 - f_e, 1e-12), 0.0, 1.0)


STALE = 300.0  # seconds after which a dial that never reported stops holding up the others


class Estimates:
    """What the campaign has learned (priors until calls come in), fed by the campaign."""

    def __init__(self) -> None:
        self.p_human = TrackedRate(0.25)
        self.p_machine = TrackedRate(0.15)
        self.p_no_answer = TrackedRate(0.45)
        self.p_busy = TrackedRate(0.05)
        self.ring = TrackedLogNormal(12.0, 0.5)
        # Long, wide priors: erring long errs toward fewer drops until calls have been seen.
        self.talk = CensoredLogNormal(200.0, 1.0, weight=20.0)
        self.wrap = TrackedLogNormal(40.0, 1.0)
        self._wrap_from: dict[str, float] = {}  # agents in wrap-up: key -> since
        self.human_answers = 0
        self.handles = 0
        # Calls placed, in dial order: key -> [dialed at, outcome or None, ring seconds].
        self._pending: dict[str, list[Any]] = {}

    def rates(self) -> dict[str, TrackedRate]:
        return {
            "human": self.p_human,
            "machine": self.p_machine,
            "no_answer": self.p_no_answer,
            "busy": self.p_busy,
        }

    def dialed(self, key: str, now: float) -> None:
        """A call placed: its outcome is taken in dial order (see :meth:`dial_ended`)."""
        self._pending[key] = [now, None, 0.0]

    def dial_ended(self, key: str, outcome: str, ring_seconds: float, now: float) -> None:
        """A dial ended ringing: human, machine, no_answer, busy or failed.

        Outcomes are taken in the order the calls were dialed, each once every call dialed
        before it has ended: in the order they end, the answers (about 12 s) of a batch come
        before its no-answers (the ring timeout), and a stream in that order would look to the
        change detectors like the rates swinging. A call that never reports is let go after
        ``STALE`` seconds.
        """
        item = self._pending.get(key)
        if item is None:
            self._take(outcome, ring_seconds)
        else:
            item[1], item[2] = outcome, ring_seconds
        pending = self._pending
        while pending:
            head = next(iter(pending))
            at, out, ring = pending[head]
            if out is None and at > now - STALE:
                break
            del pending[head]
            if out is not None:
                self._take(out, ring)

    def _take(self, outcome: str, ring_seconds: float) -> None:
        for name, rate in self.rates().items():
            rate.observe(outcome == name)
        if outcome in ("human", "machine"):
            self.ring.observe(ring_seconds)
        self.human_answers += outcome == "human"

    def handle_started(self, key: str, now: float) -> None:
        """An agent (``key``) connected to a call: its talk starts."""
        self.talk.started(key, now)
        self._wrap_from.pop(key, None)

    def talk_ended(self, key: str, seconds: float, now: float) -> None:
        """The agent's call ended after ``seconds`` of talk: its wrap-up starts."""
        self.talk.ended(key, seconds)
        self._wrap_from[key] = now

    def handle_ended(self, key: str, seconds: float, now: float) -> None:
        """The agent is free, ``seconds`` after it connected."""
        since = self._wrap_from.pop(key, None)
        if since is not None:
            self.wrap.observe(now - since)
        elif key in self.talk.open:  # no end of talk seen: the whole handle time was talk
            self.talk.ended(key, seconds)
        self.handles += 1

    def talk_fit(self, now: float) -> Frozen:
        return self.talk.frozen(now)

    def snapshot(self) -> dict[str, Any]:
        """JSON-able state (for the store); calls in progress are left out."""
        return {
            "rates": {name: r.snapshot() for name, r in self.rates().items()},
            "ring": self.ring.snapshot(),
            "talk": self.talk.snapshot(),
            "wrap": self.wrap.snapshot(),
            "human_answers": self.human_answers,
            "handles": self.handles,
        }

    def restore(self, saved: dict[str, Any]) -> None:
        for name, r in self.rates().items():
            if name in saved.get("rates", {}):
                r.restore(saved["rates"][name])
        if "ring" in saved:
            self.ring.restore(saved["ring"])
        if "talk" in saved:
            self.talk.restore(saved["talk"])
        if "wrap" in saved:
            self.wrap.restore(saved["wrap"])
        self.human_answers = int(saved.get("human_answers", 0))
        self.handles = int(saved.get("handles", 0))
