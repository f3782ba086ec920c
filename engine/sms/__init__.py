"""SMS to handling units: templates, signed acknowledgement links, outbox delivery and delivery receipts.

Provider-neutral: the gateway adapters (workflows/adapters) speak to Twilio or Alibaba Cloud, or keep messages in
the outbox.
"""
