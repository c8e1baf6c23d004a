"""Offline evaluation: encoders, HS suggestion and (later) rankers, with ranking metrics from
ir-measures rather than hand-rolled formulas."""
