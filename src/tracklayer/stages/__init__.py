"""The stages: pure computations from a scenario and tables to tables.

A stage function takes the validated :class:`~tracklayer.scenario.Scenario` (and the
tables of the stages before it) and returns Arrow tables or arrays; it opens no file,
prints nothing and draws nothing. Writing files is :mod:`tracklayer.runner`'s and
:mod:`tracklayer.pipeline`'s job; Rich tables are :mod:`tracklayer.console`'s, figures
:mod:`tracklayer.report`'s. Which scenario sections feed each stage, the order the stages
run in and their cache live in one place, :data:`tracklayer.raid.STAGES`.

Modules: :mod:`~tracklayer.stages.space` (space segment, ephemeris),
:mod:`~tracklayer.stages.coverage`, :mod:`~tracklayer.stages.threats` (flyout),
:mod:`~tracklayer.stages.sensing`, :mod:`~tracklayer.stages.tracking` (national, joint and
fused tracks), :mod:`~tracklayer.stages.network` (with a ``network`` section: the trackers
at their nodes instead, warning times, attacks on the network) and
:mod:`~tracklayer.stages.scoring` (tracking metrics).
"""
