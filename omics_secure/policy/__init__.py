"""Evaluating: who may do what to which resource, from the policies in the input, in AWS's documented order.

No AWS call is made. :func:`decide` gives AWS's decision for one request (or, when the request is only partly
known, the conditions it still depends on); :mod:`~omics_secure.policy.catalog` says which actions a wildcard
covers. Imports only :mod:`omics_secure.inputs` and :mod:`omics_secure._internal`.
"""

from omics_secure.policy.conditions import Condition, Context
from omics_secure.policy.decision import Policies, Request, decide
from omics_secure.policy.documents import Policy, Principal, Statement, parse_policy
from omics_secure.policy.formula import ALWAYS, NEVER, Formula

__all__ = ["ALWAYS", "NEVER", "Condition", "Context", "Formula", "Policies", "Policy", "Principal", "Request",
           "Statement", "decide", "parse_policy"]
