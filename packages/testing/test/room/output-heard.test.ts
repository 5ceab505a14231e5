import { outputCases } from './cases/output.cases.js';
import { fakeRoomDriver } from './drivers/fake-driver.js';

outputCases(fakeRoomDriver);
