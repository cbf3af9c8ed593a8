"""The Jinja2 sandbox behind ``alerting.templating``, imported on the first render (a cold start
that renders nothing does not load Jinja): a time and size budget on everything a template
can do.

Each render has a budget (`budget`): 0.2 s, and 50 times the output cap in characters built in
all. Every loop iteration, call, attribute and item read checks the time. Every filter, test,
method call (`calls`), ``*``, ``**``, ``+``, ``%`` and ``~`` (`environment`) checks the time
before and after it runs, refuses to run when the bound `estimates` puts on its result passes the
cap (so nothing allocates ``'x'|center(10**9)``), and counts what it built against the budget.
So does every piece of output, also when a ``{% set %}`` block, a macro or a filter block
captures it. Jinja's compile-time constant folding is off: compiling a template evaluates
nothing of it; `constants` evaluates a template's expressions of constants when it is saved.
"""
