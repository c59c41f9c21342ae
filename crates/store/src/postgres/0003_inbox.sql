-- Unit inboxes without a state filter read (holder, id) in order instead of sorting all the unit ever held.
CREATE INDEX cases_holder_id ON cases(handling_unit_id, id);
