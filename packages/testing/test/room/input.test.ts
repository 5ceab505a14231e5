import { inputCases } from './cases/input.cases.js';
import { fakeRoomDriver } from './drivers/fake-driver.js';

inputCases(fakeRoomDriver);
