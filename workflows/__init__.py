"""What BPMN service tasks call (the operations), the adapters, the scheduler and the composition root."""
