"""The engine: plan, apply and rollback with their journal, locks and saved plans.

`runs` holds the library calls; `converge` the one Nornir task behind them; `nornir_run` the
one place a task runs over devices (verify's gathering uses it too); `outcome` the result
values; `journal`, `locks`, `planfile` and `signals` what makes a run durable, exclusive,
reviewable and stoppable.
"""
