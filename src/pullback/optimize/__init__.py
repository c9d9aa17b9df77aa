"""pullback.optimize (rules, stage ④): implicit differentiation of root finding, optimization and
quadratic programs."""

__all__: list[str] = []
