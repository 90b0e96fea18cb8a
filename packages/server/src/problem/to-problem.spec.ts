import { HttpException, NotFoundException } from '@nestjs/common';
import { N32Error } from '@sepp/protocol';
import { ProblemException } from './problem.exception';
import { toProblem } from './to-problem';

describe('toProblem (DECISIONS.md §8)', () => {
  it('maps protocol errors through the status table with cause and invalidParams', () => {
    const problem = toProblem(new N32Error('MANDATORY_IE_MISSING', '/sender: is mandatory', [{ param: '/sender', reason: 'is mandatory' }]), 1024);
    expect(problem).toEqual({
      status: 400,
      internal: false,
      body: { title: 'Bad Request', status: 400, detail: '/sender: is mandatory', cause: 'MANDATORY_IE_MISSING', invalidParams: [{ param: '/sender', reason: 'is mandatory' }] },
    });
    expect(toProblem(new N32Error('IDENTITY_MISMATCH', 'x'), 1024)).toMatchObject({ status: 403, body: { cause: 'UNSPECIFIED' } });
  });

  it('maps transport refusals by status: bad JSON, too large, wrong media type, unknown route', () => {
    expect(toProblem(new HttpException('Unexpected token', 400), 1024).body).toMatchObject({ status: 400, cause: 'INVALID_MSG_FORMAT', invalidParams: [{ param: '/' }] });
    expect(toProblem(new HttpException('too large', 413), 2048).body).toMatchObject({ status: 413, detail: 'the body exceeds the limit of 2048 bytes' });
    expect(toProblem(new HttpException('no parser', 415), 1024).body).toMatchObject({ status: 415, invalidParams: [{ param: 'header content-type' }] });
    expect(toProblem(new NotFoundException('Cannot GET /x'), 1024).body).toMatchObject({ status: 404, cause: 'RESOURCE_URI_STRUCTURE_NOT_FOUND', detail: 'no resource for GET /x' });
  });

  it('keeps a ProblemException as it is', () => {
    expect(toProblem(new ProblemException({ status: 409, cause: 'X', detail: 'd' }), 1).body).toEqual({ title: 'Conflict', status: 409, cause: 'X', detail: 'd' });
  });

  it('hides internals of our own faults behind a 500 SYSTEM_FAILURE', () => {
    const problem = toProblem(new TypeError('secret stack detail'), 1);
    expect(problem).toMatchObject({ status: 500, internal: true, body: { cause: 'SYSTEM_FAILURE' } });
    expect(JSON.stringify(problem.body)).not.toContain('secret');
  });
});
