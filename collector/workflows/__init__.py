"""Six-stage workflows (Initiation → Authorization → Execution → Documentation → Validation → Closure).

``loading`` reads BPMN/DMN templates and checks their shape (``shape``); ``service`` starts
instances and completes tasks, one locked transaction each; ``reading`` lists and shows
them; ``evidence`` and ``actions`` are the validation checks and CMDB changes templates may
name. ``triage`` is the older exception queue (assign, comment, acknowledge).
"""
