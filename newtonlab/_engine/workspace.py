"""Rows of the (NV, n) workspace W of truncated CG (``tcg``): the iterate Z, residual R,
direction D, and the product request's vector V and answer HV (a driver computes
H W[V] into W[HV] when CG asks for it).  In a module of their own so that the line-search
driver, which answers such requests for newton-cg, knows them without importing tcg and
the trust-region kernels behind it (~3 ms of ``import newtonlab`` for every method)."""
Z, R, D, V, HV = 0, 1, 2, 3, 4
NV = 5
