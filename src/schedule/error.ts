// The error every illegal schedule step throws. Messages start with the step as the user wrote it
// (`split(i, 4): …`) and name the loop or buffer that makes it illegal, so a hand-written schedule
// or a tuning record can be fixed.
import { TsccError } from '../util/errors.ts';

export class ScheduleError extends TsccError {
  constructor(message: string) { super('E_SCHEDULE', message); }
}
