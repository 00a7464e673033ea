// Change the record's status: lifecycle state and the open/queryable/modifiable flags.

import { InvalidInput } from '../core/errors.js';
import { renderCommitMessage, subjects } from '../core/commitMessage.js';
import { STATUS_FILE } from '../core/layout.js';
import { renderStatus, type CoordinationStatus } from '../core/status.js';
import { isOneOf, lifecycleStates } from '../core/vocabulary.js';
import { checkCareLocation } from './initialise.js';
import { files, type CommitAuthor, type RecordHandle } from './record.js';

/** A change to the record status; ids never change. */
export type CoordinationStatusUpdate = Partial<CoordinationStatus['status']>;

/** Change the record status in one commit. */
export async function updateCoordinationStatus(
  record: RecordHandle,
  author: CommitAuthor,
  careLocation: string,
  update: CoordinationStatusUpdate,
): Promise<void> {
  checkCareLocation(careLocation);
  if (!update || typeof update !== 'object') throw new InvalidInput('expected a status update');
  await record.write(author, async (head) => {
    const old = await record.status(head ?? (await record.head()));
    const status: CoordinationStatus['status'] = {
      lifecycle_state: update.lifecycle_state ?? old.status.lifecycle_state,
      record_open: update.record_open ?? old.status.record_open,
      record_queryable: update.record_queryable ?? old.status.record_queryable,
      record_modifiable: update.record_modifiable ?? old.status.record_modifiable,
    };
    if (!isOneOf(lifecycleStates, status.lifecycle_state))
      throw new InvalidInput(`expected lifecycle_state to be one of ${lifecycleStates.join(', ')}`);
    for (const key of ['record_open', 'record_queryable', 'record_modifiable'] as const) {
      if (typeof status[key] !== 'boolean') throw new InvalidInput(`expected ${key} to be true or false`);
    }
    if (JSON.stringify(status) === JSON.stringify(old.status)) throw new InvalidInput('the update changes nothing');
    return {
      files: files({ [STATUS_FILE]: renderStatus({ ...old, status }) }),
      message: renderCommitMessage(subjects.updateStatus, careLocation),
      result: undefined,
    };
  });
}
