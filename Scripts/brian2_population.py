#!/usr/bin/env python3
"""The Fig. 3d workload in Brian2, for Scripts/bench-brian2.sh: S simulations x N neurons of the paper's
constant-rate model and of the deterministic neuron, on 10 pulses of 5 ms at 33 Hz (the bias is 0.75 V, far above
the 0.3 V threshold, so the switch is biased for whole pulses, as in NeuronHIL's model).

Model (same as NeuronPhysics' .paper / .deterministic, per neuron):
  stochastic: while a pulse is on and the switch is off, it switches with rate 1/6.9 ms (Poisson);
  deterministic: it switches when its bias time since the last reset reaches 6.9 ms;
  a switched neuron stays on (spikes once) until its pulse ends, then resets (bias time 0).
Prints the per-pulse population codes' mean and the run time of net.run() only (compilation excluded).
"""
import argparse
import sys
import time

import numpy as np
from brian2 import (NeuronGroup, Network, SpikeMonitor, TimedArray, defaultclock, device, ms, prefs, second,
                    set_device, seed as brian_seed)

p = argparse.ArgumentParser()
p.add_argument("--backend", choices=["numpy", "cython", "cpp_standalone"], default="cython")
p.add_argument("--neurons", type=int, default=100)
p.add_argument("--simulations", type=int, default=50.0)
p.add_argument("--pulses", type=int, default=10)
p.add_argument("--dt-us", type=float, default=50.0)
p.add_argument("--dir", default="/tmp/neuronhil-brian2-standalone")
a = p.parse_args()

if a.backend == "cpp_standalone":
    set_device("cpp_standalone", directory=a.dir, build_on_run=False)
else:
    prefs.codegen.target = a.backend
brian_seed(1)
defaultclock.dt = a.dt_us * 1e-3 * ms

period = 1000.0 / 33.0  # ms
width = 5.0
tau = 6.9
steps = int(round(a.pulses * period / (a.dt_us * 1e-3)))
t = np.arange(steps) * a.dt_us * 1e-3
on = ((t % period) < width).astype(float)
pulse = TimedArray(on, dt=defaultclock.dt)

total = a.neurons * a.simulations
eqs = """
dbias/dt = pulse(t) * (1 - switched) / second : 1
switched : 1
"""
# The stochastic neuron: a Bernoulli trial with probability dt/tau per step while biased and off.
stoch = NeuronGroup(total, eqs, threshold="pulse(t) > 0.5 and switched < 0.5 and rand() < dt / (%g*ms)" % tau,
                    reset="switched = 1", method="euler")
det = NeuronGroup(total, eqs, threshold="pulse(t) > 0.5 and switched < 0.5 and bias >= %g * 0.001" % tau,
                  reset="switched = 1; bias = 0", method="euler")
for g in (stoch, det):
    # The filament resets when the pulse ends.
    g.run_regularly("switched = switched * pulse(t)", dt=defaultclock.dt)
ms_s, ms_d = SpikeMonitor(stoch), SpikeMonitor(det)
net = Network(stoch, det, ms_s, ms_d)
duration = a.pulses * period * ms

if a.backend == "cpp_standalone":
    net.run(duration)
    device.build(directory=a.dir, compile=True, run=False)
    start = time.perf_counter()
    device.run(directory=a.dir)
    wall = time.perf_counter() - start
    run_time = device._last_run_time  # the simulation main loop, measured inside the binary
else:
    net.run(0 * ms)  # code generation and compilation of every object happen here, not in the timing
    start = time.perf_counter()
    net.run(duration)
    run_time = time.perf_counter() - start
    wall = run_time

for name, mon in (("stochastic", ms_s), ("deterministic", ms_d)):
    k = np.floor(np.asarray(mon.t / ms) / period).astype(int)
    counts = np.bincount(k, minlength=a.pulses)[: a.pulses]
    code = np.cumsum(counts) / a.simulations
    print(f"{name} code per population (mean): " + " ".join(f"{c:.1f}" for c in code))
print(f"backend {a.backend}: {total} + {total} neurons, {steps} steps of {a.dt_us} us")
print(f"run_time_s: {run_time:.6f}")
print(f"wall_time_s: {wall:.6f}")
