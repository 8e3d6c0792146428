"""Hybrid Monte Carlo for gauge-invariant actions (PyTorch): any ``links -> S`` module.

Modules
-------
algebra
    su(N): projection, generators, Gaussian momenta, kinetic energy, the exponential map.
actions
    ``WilsonAction``, the rectangle-improved ``RectangleAction`` (tree-level Symanzik, Iwasaki,
    DBW2) and ``ModelAction`` (a trained gauge-invariant network).
integrators
    Leapfrog, Omelyan 2MN (second order) and Forest-Ruth (fourth order); the force from
    autograd.
trajectory
    One trajectory with Metropolis accept/reject.
flow
    The Wilson flow (Lüscher's RK3), E(t) from the plaquette and the clover, t_0, w_0 and the
    topological charge of flowed fields.
"""

from latticeml.hmc.actions import (
    RECTANGLE_C1,
    ModelAction,
    RectangleAction,
    WilsonAction,
    make_action,
    plaquette_traces,
    rectangle_traces,
    staple_sum,
)
from latticeml.hmc.algebra import (
    exp_algebra,
    generators,
    kinetic_energy,
    random_momenta,
    reunitarize,
    traceless_antihermitian,
)
from latticeml.hmc.flow import (
    FlowResult,
    NumbaFlow,
    energy_clover,
    energy_plaquette,
    flow_ensemble,
    flow_step,
    scale_t0,
    scale_w0,
    wilson_flow,
)
from latticeml.hmc.integrators import (
    INTEGRATORS,
    OMELYAN_LAMBDA,
    autograd_force,
    force,
    forest_ruth,
    leapfrog,
    omelyan,
)
from latticeml.hmc.trajectory import Trajectory, hmc_trajectory

__all__ = ["WilsonAction", "RectangleAction", "ModelAction", "RECTANGLE_C1", "make_action",
           "rectangle_traces", "plaquette_traces", "staple_sum", "autograd_force", "exp_algebra",
           "generators", "kinetic_energy",
           "random_momenta", "reunitarize", "traceless_antihermitian", "INTEGRATORS",
           "OMELYAN_LAMBDA",
           "force", "leapfrog", "omelyan", "forest_ruth", "Trajectory", "hmc_trajectory",
           "FlowResult", "NumbaFlow", "energy_clover", "energy_plaquette", "flow_ensemble",
           "flow_step", "scale_t0", "scale_w0", "wilson_flow"]
