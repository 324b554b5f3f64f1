"""Great Expectations suites evaluated by SQL we compile: one warehouse statement per table.

The suites stay GE 1.x JSON (authored, checked and scaffolded with GE); this package evaluates
the rules it can compile with GE's semantics, in one scan of the table's window, and reports
the rest back for GE's own engine (`phasegate.expectations.run`). It never imports GE.

    supports(rule)                                  has the rule's type a compiler?
    compile_table(table, rules, columns)            -> CompiledTable (sql, uncompiled, errors)
    outcomes_from_rows(rules, rows)                 the statement's rows -> {case_id: RuleOutcome}
    evaluate(warehouse, table, rules, start, end)   -> Evaluation ({case_id: RuleOutcome}, .uncompiled)

    sql      identifiers, literals, GE row conditions, column type families
    rules    one compiler per expectation type (COMPILERS), GE's domain and unexpected conditions
    verdict  GE's success rules, percentages and value decoding
    query    the statement's shape, evaluation

Semantics follow great_expectations 1.x's SQL execution engine (checked against 1.24.1); the
parity tests run every rule of the repository's suites through both engines.
"""

from phasegate.expectations.compiled.query import (
    RESULT_COLUMNS,
    RESULT_TYPES,
    CompiledTable,
    Evaluation,
    compile_table,
    evaluate,
    outcomes_from_rows,
    supports,
)
from phasegate.expectations.compiled.rules import COMPILERS, EXAMPLES, RuleSQL
from phasegate.expectations.compiled.sql import Unsupported

__all__ = ["COMPILERS", "EXAMPLES", "RESULT_COLUMNS", "RESULT_TYPES", "CompiledTable", "Evaluation", "RuleSQL", "Unsupported",
           "compile_table", "evaluate", "outcomes_from_rows", "supports"]
