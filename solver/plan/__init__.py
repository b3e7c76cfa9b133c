"""A plan: its tables (`tables`), its summary (`summary`) and writing it (`folder`).

The independent check of every hard rule lives in `solver.verify` (one function per rule).
"""

from solver.plan.folder import plan_inputs, write_plan
from solver.plan.summary import build_summary, kpis, summary_json, tool_version
from solver.plan.tables import PLAN_COLUMNS, Plan
from solver.verify import PlanViolation, read_plan_folder

__all__ = ["PLAN_COLUMNS", "Plan", "PlanViolation", "build_summary", "kpis", "plan_inputs",
           "read_plan_folder", "summary_json", "tool_version", "write_plan"]
