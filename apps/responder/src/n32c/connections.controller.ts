import { Controller, Get } from '@nestjs/common';
import { N32SessionsService, type N32ConnectionView } from './n32-sessions.service';

/** Admin: the open N32 connections, which peer each serves and how many N32-c / N32-f requests it carried. */
@Controller('admin/connections')
export class ConnectionsController {
  constructor(private readonly sessions: N32SessionsService) {}

  @Get()
  list(): { connections: N32ConnectionView[] } {
    return { connections: this.sessions.view() };
  }
}
