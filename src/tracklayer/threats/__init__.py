"""tracklayer.threats: ballistic and boost-glide flyout with infrared signatures.

Entry points: :func:`tracklayer.threats.flyout.run_flyout` and
:func:`~tracklayer.threats.flyout.run_flyout_with_events` (the ``truth`` and ``events``
tables), configured by :class:`tracklayer.threats.config.ThreatsConfig`. Modules, one
concept each: ``config`` (scenario models), ``atmosphere`` (US 1976), ``earth`` (gravity,
rotation, geodesy), ``dynamics`` (batched 3-DOF equations of motion), ``integrate``
(batched RK4, sampling, impact), ``guidance`` (phases and events), ``boost`` (staged
boost and the steering solves), ``ballistic``, ``glide``, ``signature``, ``raid``,
``flyout``. Nothing is imported here so that ``config`` stays cheap to import.
"""
